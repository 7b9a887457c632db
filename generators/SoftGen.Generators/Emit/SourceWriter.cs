using System;
using System.Text;

namespace SoftGen.Generators.Emit;

/// <summary>A StringBuilder with an indentation level; multi-line text is re-indented line by line.</summary>
internal sealed class SourceWriter
{
    private readonly StringBuilder _builder = new();
    private int _indent;

    public void Line(string text = "")
    {
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.TrimEnd('\r');
            if (trimmed.Length > 0)
                _builder.Append(' ', _indent * 4).Append(trimmed);
            _builder.Append('\n');
        }
    }

    /// <summary>Writes the header (if any), "{" on its own line, and indents until the returned scope is disposed.</summary>
    public IDisposable Block(string header)
    {
        if (header.Length > 0)
            Line(header);
        Line("{");
        _indent++;
        return new Scope(this);
    }

    public override string ToString() => _builder.ToString();

    private sealed class Scope : IDisposable
    {
        private readonly SourceWriter _writer;

        public Scope(SourceWriter writer) => _writer = writer;

        public void Dispose()
        {
            _writer._indent--;
            _writer.Line("}");
        }
    }
}
