using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Text;

namespace SoftGen.Data;

/// <summary>
/// Reads a CSV file into a <see cref="Dataset"/>, one line at a time: features from the named (or all remaining)
/// columns, targets from a class column, probability columns or vote-count columns (see <see cref="CsvLabels"/>).
/// Every error is an <see cref="InvalidDataException"/> that names the file, the line (1-based, the header
/// included) and, for a value, its column. Fields may be quoted ("a,b", with "" for a quote) but may not span lines;
/// blank lines are skipped; numbers use the invariant culture ('.' for the decimal point).
/// </summary>
public static class CsvDataset
{
    /// <summary>Reads the file at <paramref name="path"/>; a name ending in ".gz" is decompressed as it is read.</summary>
    public static Dataset Read(string path, CsvFormat format)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(format);
        using var file = File.OpenRead(path);
        Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Read(reader, format, path);
    }

    /// <summary>Reads CSV text; <paramref name="name"/> is how errors refer to it.</summary>
    public static Dataset Read(TextReader reader, CsvFormat format, string name = "CSV")
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(format.Labels);
        if (format.Delimiter is '"' or '\r' or '\n')
            throw new ArgumentException($"The delimiter cannot be {Escape(format.Delimiter)}.", nameof(format));
        if (!float.IsFinite(format.FeatureScale))
            throw new ArgumentException($"FeatureScale is {format.FeatureScale}; it must be finite.", nameof(format));
        if (format.WeightByVotes && format.Labels.Kind != CsvLabelKind.Votes)
            throw new ArgumentException(
                $"CsvFormat.WeightByVotes weights each row by its total votes, so it needs vote labels (CsvLabels.Votes); these labels are {format.Labels.Kind}.", nameof(format));

        var fields = new FieldSplitter(format.Delimiter, name);
        int lineNumber = 0;
        string[] header;
        if (format.ColumnNames is { } given)
        {
            header = new string[given.Count];
            for (int i = 0; i < header.Length; i++) header[i] = given[i];
            CheckHeader(header, name, "ColumnNames");
        }
        else
        {
            string? first = reader.ReadLine();
            lineNumber = 1;
            if (first is null) throw new InvalidDataException($"{name}: the file is empty; expected a header line.");
            if (first.Length > 0 && first[0] == '\uFEFF') first = first[1..];
            if (first.Trim().Length == 0) throw new InvalidDataException($"{name}, line 1: the header line is empty.");
            fields.Split(first, 1);
            header = new string[fields.Count];
            for (int i = 0; i < header.Length; i++) header[i] = fields.Text(i).Trim();
            CheckHeader(header, name, "line 1 (the header)");
        }

        var layout = new Layout(format, header, name, format.ColumnNames is null ? "line 1 (the header)" : "ColumnNames");
        var labels = format.Labels;
        int inputs = layout.FeatureColumns.Length, classes = labels.Classes;
        var features = new List<float>();
        var targets = new List<float>();
        var voteCounts = labels.Kind == CsvLabelKind.Votes ? new List<float>() : null;
        Span<float> targetRow = classes <= 256 ? stackalloc float[classes] : new float[classes];

        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (line.Trim().Length == 0) continue;
            fields.Split(line, lineNumber);
            if (fields.Count != header.Length)
                throw new InvalidDataException(
                    $"{name}, line {lineNumber}: {fields.Count} fields, but there are {header.Length} columns ({Describe(header)}).");

            foreach (int column in layout.FeatureColumns)
            {
                float value = ParseNumber(fields, column, header, name, lineNumber);
                if (!float.IsFinite(value))
                    throw new InvalidDataException($"{name}, line {lineNumber}, column '{header[column]}': the feature is {value}; features must be finite.");
                features.Add(value * format.FeatureScale);
            }

            double votes = ReadLabels(labels, layout.LabelColumns, fields, header, name, lineNumber, targetRow);
            foreach (float y in targetRow) targets.Add(y);
            voteCounts?.Add((float)votes);
        }

        if (targets.Count == 0)
            throw new InvalidDataException($"{name}: no data rows after line {lineNumber}.");
        return voteCounts is null
            ? new Dataset(features.ToArray(), targets.ToArray(), inputs, classes, labels.TargetKind)
            : Dataset.FromVotes(features.ToArray(), targets.ToArray(), inputs, classes, voteCounts.ToArray(), format.WeightByVotes);
    }

    /// <summary>Writes the row's targets; returns the sum of the label values read (a vote row's total; 0 for a class column).</summary>
    private static double ReadLabels(CsvLabels labels, int[] columns, FieldSplitter fields, string[] header, string name, int line, Span<float> row)
    {
        row.Clear();
        if (labels.Kind == CsvLabelKind.ClassColumn)
        {
            row[ParseClass(labels, fields, columns[0], header, name, line)] = 1f;
            return 0;
        }

        double sum = 0;
        for (int c = 0; c < columns.Length; c++)
        {
            float value = ParseNumber(fields, columns[c], header, name, line);
            string rule = labels.Kind == CsvLabelKind.Votes ? "vote counts must be finite and non-negative" : "probabilities must be finite and in [0, 1]";
            bool bad = !float.IsFinite(value) || value < 0f || (labels.Kind != CsvLabelKind.Votes && value > 1f);
            if (bad) throw new InvalidDataException($"{name}, line {line}, column '{header[columns[c]]}': {value}; {rule}.");
            row[c] = value;
            sum += value;
        }

        switch (labels.Kind)
        {
            case CsvLabelKind.Votes:
                if (sum <= 0)
                    throw new InvalidDataException(
                        $"{name}, line {line}: the row has no votes (every one of {Describe(labels.Columns)} is 0), so it has no distribution.");
                if (!double.IsFinite(sum))
                    throw new InvalidDataException($"{name}, line {line}: the votes add up to {sum}, too large to normalise.");
                for (int c = 0; c < row.Length; c++) row[c] = (float)(row[c] / sum);
                break;
            case CsvLabelKind.Probabilities:
                if (!(Math.Abs(sum - 1.0) <= Dataset.SumTolerance))
                    throw new InvalidDataException(
                        $"{name}, line {line}: the probabilities in {Describe(labels.Columns)} sum to {sum:G7}, not 1 (within {Dataset.SumTolerance}).");
                break;
        }
        return sum;
    }

    private static int ParseClass(CsvLabels labels, FieldSplitter fields, int column, string[] header, string name, int line)
    {
        string text = fields.Text(column).Trim();
        if (labels.ClassNames is { } names)
        {
            for (int c = 0; c < names.Count; c++)
                if (string.Equals(names[c], text, StringComparison.Ordinal)) return c;
            throw new InvalidDataException(
                $"{name}, line {line}, column '{header[column]}': '{text}' is not one of the classes ({Describe(names)}).");
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int index))
            throw new InvalidDataException($"{name}, line {line}, column '{header[column]}': '{text}' is not a class index.");
        if ((uint)index >= (uint)labels.Classes)
            throw new InvalidDataException($"{name}, line {line}, column '{header[column]}': class {index} is outside 0..{labels.Classes - 1}.");
        return index;
    }

    private static float ParseNumber(FieldSplitter fields, int column, string[] header, string name, int line)
    {
        var text = fields.Span(column);
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
            throw new InvalidDataException(
                text.Trim().Length == 0
                    ? $"{name}, line {line}, column '{header[column]}': the field is empty; expected a number."
                    : $"{name}, line {line}, column '{header[column]}': '{text.ToString()}' is not a number.");
        return value;
    }

    private static void CheckHeader(string[] header, string name, string where)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < header.Length; i++)
        {
            if (header[i].Length == 0) throw new InvalidDataException($"{name}, {where}: column {i + 1} has no name.");
            if (!seen.Add(header[i])) throw new InvalidDataException($"{name}, {where}: the column name '{header[i]}' appears twice.");
        }
    }

    /// <summary>Up to 12 names, for a message.</summary>
    private static string Describe(IReadOnlyList<string> names)
    {
        var text = new StringBuilder();
        for (int i = 0; i < Math.Min(names.Count, 12); i++)
            text.Append(i == 0 ? "" : ", ").Append(names[i]);
        if (names.Count > 12) text.Append($", ... ({names.Count} in all)");
        return text.ToString();
    }

    private static string Escape(char c) => c switch { '\r' => "'\\r'", '\n' => "'\\n'", _ => $"'{c}'" };

    /// <summary>The columns a format picks out of a header.</summary>
    private sealed class Layout
    {
        public Layout(CsvFormat format, string[] header, string name, string where)
        {
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < header.Length; i++) index[header[i]] = i;
            int Find(string column) => index.TryGetValue(column, out int i) ? i
                : throw new InvalidDataException($"{name}, {where}: there is no column '{column}'; the columns are {Describe(header)}.");

            var labels = format.Labels.Columns;
            LabelColumns = new int[labels.Count];
            var taken = new HashSet<int>();
            for (int c = 0; c < labels.Count; c++) taken.Add(LabelColumns[c] = Find(labels[c]));

            if (format.Features is { } named)
            {
                FeatureColumns = new int[named.Count];
                for (int i = 0; i < named.Count; i++)
                {
                    FeatureColumns[i] = Find(named[i]);
                    if (taken.Contains(FeatureColumns[i]))
                        throw new ArgumentException($"Column '{named[i]}' is both a feature and a label column.", nameof(format));
                }
            }
            else
            {
                foreach (var ignored in format.Ignore) taken.Add(Find(ignored));
                var features = new List<int>();
                for (int i = 0; i < header.Length; i++)
                    if (!taken.Contains(i)) features.Add(i);
                FeatureColumns = features.ToArray();
            }
            if (FeatureColumns.Length == 0)
                throw new InvalidDataException($"{name}, {where}: no column is left for the features.");
        }

        public int[] FeatureColumns { get; }
        public int[] LabelColumns { get; }
    }

    /// <summary>Splits one line into fields, reusing its lists; quoted fields keep their "" escapes in <see cref="Span"/>.</summary>
    private sealed class FieldSplitter(char delimiter, string name)
    {
        private readonly List<(int Start, int Length, bool Quoted)> _fields = new();
        private string _line = "";

        public int Count => _fields.Count;

        public void Split(string line, int lineNumber)
        {
            _fields.Clear();
            _line = line;
            int i = 0;
            while (true)
            {
                int start = i;
                while (start < line.Length && line[start] == ' ') start++;
                if (start < line.Length && line[start] == '"')
                {
                    int content = start + 1, k = content;
                    while (true)
                    {
                        if (k >= line.Length)
                            throw new InvalidDataException(
                                $"{name}, line {lineNumber}: the quoted field that starts at character {start + 1} is not closed (a field cannot span lines).");
                        if (line[k] == '"')
                        {
                            if (k + 1 < line.Length && line[k + 1] == '"') { k += 2; continue; }
                            break;
                        }
                        k++;
                    }
                    _fields.Add((content, k - content, true));
                    i = k + 1;
                    while (i < line.Length && line[i] == ' ') i++;
                    if (i < line.Length && line[i] != delimiter)
                        throw new InvalidDataException(
                            $"{name}, line {lineNumber}: character {i + 1} follows a closing quote; expected {Escape(delimiter)} or the end of the line.");
                }
                else
                {
                    int end = line.IndexOf(delimiter, i);
                    if (end < 0) end = line.Length;
                    _fields.Add((i, end - i, false));
                    i = end;
                }
                if (i >= line.Length) break;
                i++; // past the delimiter
                if (i == line.Length)
                {
                    _fields.Add((i, 0, false)); // a trailing delimiter ends with an empty field
                    break;
                }
            }
        }

        public ReadOnlySpan<char> Span(int field)
        {
            var (start, length, _) = _fields[field];
            return _line.AsSpan(start, length);
        }

        public string Text(int field)
        {
            var (_, _, quoted) = _fields[field];
            var text = Span(field).ToString();
            return quoted ? text.Replace("\"\"", "\"", StringComparison.Ordinal) : text;
        }
    }
}
