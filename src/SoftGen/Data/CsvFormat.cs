using System;
using System.Collections.Generic;

namespace SoftGen.Data;

/// <summary>How the label part of a CSV row is written.</summary>
public enum CsvLabelKind
{
    /// <summary>One column holding the class: an index 0..C-1, or one of the given class names.</summary>
    ClassColumn,

    /// <summary>One column per class holding a probability; each row must sum to 1 (within 1e-3).</summary>
    Probabilities,

    /// <summary>One column per class holding a probability in [0, 1] on its own (multi-label, sigmoid models).</summary>
    PerClassProbabilities,

    /// <summary>One column per class holding a non-negative vote count; each row is divided by its total.</summary>
    Votes,
}

/// <summary>The label part of a CSV row: make one with the static methods.</summary>
public sealed class CsvLabels
{
    private CsvLabels(CsvLabelKind kind, IReadOnlyList<string> columns, int classes, IReadOnlyList<string>? classNames)
    {
        Kind = kind;
        Columns = columns;
        Classes = classes;
        ClassNames = classNames;
    }

    public CsvLabelKind Kind { get; }

    /// <summary>The label columns, by header name: one for <see cref="CsvLabelKind.ClassColumn"/>, one per class otherwise.</summary>
    public IReadOnlyList<string> Columns { get; }

    public int Classes { get; }

    /// <summary>For a class column written as names: the names, in class order; null when it holds indices.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>A column holding the class index, 0..<paramref name="classes"/>-1; the target is one-hot.</summary>
    public static CsvLabels ClassColumn(string column, int classes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "A class column needs at least 2 classes.");
        return new CsvLabels(CsvLabelKind.ClassColumn, new[] { column }, classes, null);
    }

    /// <summary>A column holding one of <paramref name="classNames"/> (compared exactly); the target is one-hot.</summary>
    public static CsvLabels ClassColumn(string column, IReadOnlyList<string> classNames)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(column);
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count < 2) throw new ArgumentException("A class column needs at least 2 class names.", nameof(classNames));
        var names = CheckDistinct(classNames, nameof(classNames), "class name");
        return new CsvLabels(CsvLabelKind.ClassColumn, new[] { column }, names.Length, names);
    }

    /// <summary>One probability column per class; rows must sum to 1 within 1e-3.</summary>
    public static CsvLabels Probabilities(params string[] columns) => PerClassColumns(CsvLabelKind.Probabilities, columns);

    /// <summary>One probability column per class, each in [0, 1] on its own (multi-label targets).</summary>
    public static CsvLabels PerClassProbabilities(params string[] columns) => PerClassColumns(CsvLabelKind.PerClassProbabilities, columns);

    /// <summary>One vote-count column per class; a row's targets are its votes over their total (a row with none is an error).</summary>
    public static CsvLabels Votes(params string[] columns) => PerClassColumns(CsvLabelKind.Votes, columns);

    /// <summary>The kind of targets this label part gives.</summary>
    public TargetKind TargetKind => Kind == CsvLabelKind.PerClassProbabilities ? TargetKind.PerClass : TargetKind.Distribution;

    private static CsvLabels PerClassColumns(CsvLabelKind kind, string[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        int least = kind == CsvLabelKind.PerClassProbabilities ? 1 : 2;
        if (columns.Length < least)
            throw new ArgumentException($"{kind} labels need at least {least} columns, one per class; {columns.Length} given.", nameof(columns));
        return new CsvLabels(kind, CheckDistinct(columns, nameof(columns), "column"), columns.Length, null);
    }

    private static string[] CheckDistinct(IReadOnlyList<string> names, string paramName, string what)
    {
        var copy = new string[names.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < copy.Length; i++)
        {
            var name = names[i];
            if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"The {what} at position {i} is empty.", paramName);
            if (!seen.Add(name)) throw new ArgumentException($"The {what} '{name}' is given twice.", paramName);
            copy[i] = name;
        }
        return copy;
    }
}

/// <summary>How to read a CSV file into a <see cref="Dataset"/>.</summary>
public sealed record CsvFormat
{
    /// <summary>The label part of each row.</summary>
    public required CsvLabels Labels { get; init; }

    /// <summary>The feature columns, by name, in the order wanted; null: every column that is not a label or ignored, in file order.</summary>
    public IReadOnlyList<string>? Features { get; init; }

    /// <summary>Columns to skip when <see cref="Features"/> is null (ids, free text).</summary>
    public IReadOnlyList<string> Ignore { get; init; } = Array.Empty<string>();

    /// <summary>
    /// The names of the columns of a file with no header line; null (the default) when the first line is the header.
    /// </summary>
    public IReadOnlyList<string>? ColumnNames { get; init; }

    public char Delimiter { get; init; } = ',';

    /// <summary>Each feature is multiplied by this as it is read (e.g. 1/255 for pixel bytes).</summary>
    public float FeatureScale { get; init; } = 1f;

    /// <summary>
    /// With <see cref="CsvLabels.Votes"/> labels: the dataset's <see cref="Dataset.Weights"/> are each row's total votes
    /// (its <see cref="Dataset.VoteCounts"/>), so that Fit weights a row by how many annotators voted. Other labels
    /// refuse it.
    /// </summary>
    public bool WeightByVotes { get; init; }
}
