using Skald.Training.Config;

namespace Skald.Training.Tests.Config;

/// <summary>
/// <c>model.max_seq_length</c>, sentence-transformers' <c>model.max_seq_length = N</c>: read from the file and from
/// <c>--set</c>, below 2 refused, and refused in one line for the model kinds whose lengths other keys set.
/// </summary>
public sealed class MaxSeqLengthKeyTests
{
    private const string Minimal = MinimalConfig.Yaml; // model.path on line 2

    private static TrainingConfig Parse(string model, string loss = "mnrl", params string[] set) =>
        ConfigLoader.Parse($"model:\n  path: m\n{model}\ndata:\n  train: d.jsonl\nloss:\n  type: {loss}\noutput:\n  dir: out\n", "c.yaml", set);

    [Fact]
    public void TheKeyIsReadFromTheFileAndFromSet()
    {
        Assert.Equal(256, Parse("  max_seq_length: 256").Model.MaxSeqLength);
        Assert.Equal(128, Parse("  max_seq_length: 256", "mnrl", "model.max_seq_length=128").Model.MaxSeqLength);
        Assert.Null(ConfigLoader.Parse(Minimal, "c.yaml").Model.MaxSeqLength);
        Assert.Equal(64, Parse("  max_seq_length: 64", "bce").Model.MaxSeqLength); // a cross-encoder's pairs are cut there too
    }

    [Theory]
    [InlineData("1")]
    [InlineData("0")]
    [InlineData("-4")]
    public void BelowTwoIsOneLine(string n)
    {
        var e = Assert.Throws<TrainingException>(() => Parse($"  max_seq_length: {n}"));
        Assert.StartsWith("c.yaml:3: model.max_seq_length", e.Message);
        Assert.Contains("2", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("  type: static", "mnrl", "a static model reads every token")]
    [InlineData("  type: colbert", "colbert_contrastive", "model.query_length and model.document_length")]
    [InlineData("", "bge_m3", "loss.query_max_len and loss.passage_max_len")]
    [InlineData("", "causal_lm", "loss.max_seq_length")]
    public void ModelKindsWithLengthsOfTheirOwnAreRefused(string type, string loss, string why)
    {
        var e = Assert.Throws<TrainingException>(() => Parse(type + (type.Length > 0 ? "\n" : "") + "  max_seq_length: 64", loss));
        Assert.StartsWith($"c.yaml:{(type.Length > 0 ? 4 : 3)}: model.max_seq_length: ", e.Message);
        Assert.Contains(why, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
