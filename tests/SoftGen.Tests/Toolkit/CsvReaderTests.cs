using System;
using System.IO;
using System.IO.Compression;
using System.Text;
using SoftGen.Data;
using Xunit;

namespace SoftGen.Tests.Toolkit;

public sealed class CsvReaderTests
{
    private static Dataset Read(string text, CsvFormat format) => CsvDataset.Read(new StringReader(text), format, "t.csv");

    private static InvalidDataException Bad(string text, CsvFormat format) =>
        Assert.Throws<InvalidDataException>(() => Read(text, format));

    private static readonly CsvFormat ClassFormat = new() { Labels = CsvLabels.ClassColumn("label", 3) };
    private static readonly CsvFormat VoteFormat = new() { Labels = CsvLabels.Votes("a", "b", "c"), Ignore = new[] { "id" } };
    private static readonly CsvFormat ProbabilityFormat = new() { Labels = CsvLabels.Probabilities("pa", "pb") };

    [Fact]
    public void Class_column_gives_one_hot_targets_and_the_other_columns_as_features()
    {
        var d = Read("x1,label,x2\n0.5,2,-1\n\n1e-3,0,4\n", ClassFormat);
        Assert.Equal(2, d.Count);
        Assert.Equal(2, d.Inputs);
        Assert.Equal(new[] { 0.5f, -1f, 1e-3f, 4f }, d.Features.ToArray());
        Assert.Equal(new float[] { 0, 0, 1, 1, 0, 0 }, d.Targets.ToArray());
    }

    [Fact]
    public void Class_names_quoted_fields_and_a_feature_order()
    {
        var format = new CsvFormat
        {
            Labels = CsvLabels.ClassColumn("kind", new[] { "cat", "dog, big" }),
            Features = new[] { "w", "h" },
            FeatureScale = 0.5f,
        };
        var d = Read("\"h\",kind,w,note\n2,\"dog, big\",4,\"say \"\"hi\"\"\"\n6,cat,8,x\n", format);
        Assert.Equal(new[] { 2f, 1f, 4f, 3f }, d.Features.ToArray()); // w then h, halved
        Assert.Equal(new float[] { 0, 1, 1, 0 }, d.Targets.ToArray());
    }

    [Fact]
    public void Votes_are_normalised_per_row()
    {
        var d = Read("id,f,a,b,c\n7,1.5,5,4,1\n8,2.5,0,0,3\n", VoteFormat);
        Assert.Equal(new[] { 1.5f, 2.5f }, d.Features.ToArray());
        Assert.Equal(new[] { 0.5f, 0.4f, 0.1f, 0, 0, 1 }, d.Targets.ToArray());
    }

    [Fact]
    public void Probability_columns_are_kept_as_given()
    {
        var d = Read("f,pa,pb\n1,0.25,0.75\n2,1,0\n", ProbabilityFormat);
        Assert.Equal(new[] { 0.25f, 0.75f, 1, 0 }, d.Targets.ToArray());
        var multi = Read("f,pa,pb\n1,0.9,0.9\n", new CsvFormat { Labels = CsvLabels.PerClassProbabilities("pa", "pb") });
        Assert.Equal(TargetKind.PerClass, multi.TargetKind);
        Assert.Equal(new[] { 0.9f, 0.9f }, multi.Targets.ToArray());
    }

    [Fact]
    public void A_headerless_file_takes_its_column_names_from_the_format()
    {
        var format = new CsvFormat { Labels = CsvLabels.ClassColumn("y", 3), ColumnNames = new[] { "p0", "p1", "y" }, FeatureScale = 1f / 16 };
        var d = Read("16,8,1\n0,4,2\n", format);
        Assert.Equal(new[] { 1f, 0.5f, 0f, 0.25f }, d.Features.ToArray());
        Assert.Equal(new float[] { 0, 1, 0, 0, 0, 1 }, d.Targets.ToArray());
        var e = Bad("16,8,1\n0,4\n", format);
        Assert.Equal("t.csv, line 2: 2 fields, but there are 3 columns (p0, p1, y).", e.Message);
    }

    [Fact]
    public void A_gzip_file_is_read_through()
    {
        string path = Path.Combine(Path.GetTempPath(), $"softgen-csv-{Guid.NewGuid():N}.csv.gz");
        try
        {
            using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
                gz.Write(Encoding.UTF8.GetBytes("x,label\n3,1\n"));
            var d = CsvDataset.Read(path, ClassFormat);
            Assert.Equal(new[] { 3f }, d.Features.ToArray());
            Assert.Equal(new float[] { 0, 1, 0 }, d.Targets.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    // Each bad input names its line (the header is line 1; blank lines count).
    [Theory]
    [InlineData("x1,label,x2\n1,0,2\n1,0\n", "t.csv, line 3: 2 fields, but there are 3 columns (x1, label, x2).")]
    [InlineData("x1,label,x2\n1,0,2\n\n1,0,abc\n", "t.csv, line 4, column 'x2': 'abc' is not a number.")]
    [InlineData("x1,label,x2\n1,0,\n", "t.csv, line 2, column 'x2': the field is empty; expected a number.")]
    [InlineData("x1,label,x2\n1,0,2\nNaN,1,2\n", "t.csv, line 3, column 'x1': the feature is NaN; features must be finite.")]
    [InlineData("x1,label,x2\n1,3,2\n", "t.csv, line 2, column 'label': class 3 is outside 0..2.")]
    [InlineData("x1,label,x2\n1,one,2\n", "t.csv, line 2, column 'label': 'one' is not a class index.")]
    [InlineData("x1,label,x2\n1,\"0,2\n", "t.csv, line 2: the quoted field that starts at character 3 is not closed (a field cannot span lines).")]
    [InlineData("x1,label,x2\n1,\"0\"x,2\n", "t.csv, line 2: character 6 follows a closing quote; expected ',' or the end of the line.")]
    [InlineData("x1,lab,x2\n1,0,2\n", "t.csv, line 1 (the header): there is no column 'label'; the columns are x1, lab, x2.")]
    [InlineData("x1,label,x1\n1,0,2\n", "t.csv, line 1 (the header): the column name 'x1' appears twice.")]
    [InlineData("", "t.csv: the file is empty; expected a header line.")]
    [InlineData("x1,label,x2\n\n", "t.csv: no data rows after line 2.")]
    public void Class_column_errors_name_the_line(string text, string message) => Assert.Equal(message, Bad(text, ClassFormat).Message);

    [Theory]
    [InlineData("id,f,a,b,c\n1,0,1,2,3\n2,0,0,0,0\n", "t.csv, line 3: the row has no votes (every one of a, b, c is 0), so it has no distribution.")]
    [InlineData("id,f,a,b,c\n1,0,1,-2,3\n", "t.csv, line 2, column 'b': -2; vote counts must be finite and non-negative.")]
    [InlineData("id,f,a,b,c\n1,0,1,2,Infinity\n", "t.csv, line 2, column 'c': Infinity; vote counts must be finite and non-negative.")]
    public void Vote_errors_name_the_line(string text, string message) => Assert.Equal(message, Bad(text, VoteFormat).Message);

    [Theory]
    [InlineData("f,pa,pb\n1,0.5,0.5\n1,0.5,0.6\n", "t.csv, line 3: the probabilities in pa, pb sum to 1.1, not 1 (within 0.001).")]
    [InlineData("f,pa,pb\n1,1.5,-0.5\n", "t.csv, line 2, column 'pa': 1.5; probabilities must be finite and in [0, 1].")]
    public void Probability_errors_name_the_line(string text, string message) => Assert.Equal(message, Bad(text, ProbabilityFormat).Message);

    [Fact]
    public void An_unknown_class_name_lists_the_classes()
    {
        var format = new CsvFormat { Labels = CsvLabels.ClassColumn("kind", new[] { "cat", "dog" }) };
        Assert.Equal("t.csv, line 3, column 'kind': 'cow' is not one of the classes (cat, dog).", Bad("f,kind\n1,cat\n2,cow\n", format).Message);
    }

    [Fact]
    public void Label_definitions_are_checked()
    {
        Assert.Throws<ArgumentException>(() => CsvLabels.Votes("a"));
        Assert.Throws<ArgumentException>(() => CsvLabels.Probabilities("a", "a"));
        Assert.Throws<ArgumentOutOfRangeException>(() => CsvLabels.ClassColumn("y", 1));
        Assert.Throws<ArgumentException>(() => CsvLabels.ClassColumn("y", new[] { "a", "a" }));
        var both = new CsvFormat { Labels = CsvLabels.ClassColumn("label", 3), Features = new[] { "label" } };
        Assert.Throws<ArgumentException>(() => Read("label\n1\n", both));
    }
}
