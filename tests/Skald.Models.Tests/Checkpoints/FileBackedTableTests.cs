using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests.Checkpoints;

/// <summary>
/// Every architecture's vocabulary table is loaded through <see cref="ParameterBuilder.Table"/>: it stays in the
/// safetensors file (<see cref="Parameter.IsFileBacked"/>), whatever the load's precision. Its rows are the file's (read
/// independently by <see cref="Checkpoint.Read"/>, and rounded as that reader rounds for a 16-bit load), embeddings are
/// bit for bit those of the same table copied into memory, and packed-only and int8-only inference leave it in the
/// file (only the rows texts use are held).
/// </summary>
public sealed class FileBackedTableTests
{
    private static readonly string[] Leaves = ["word_embeddings.weight", "word_embedding.weight", "embed_tokens.weight", "tok_embeddings.weight"];

    private static Parameter TableOf(IEnumerable<Parameter> parameters) =>
        parameters.Single(p => Leaves.Any(l => p.Name.EndsWith(l, StringComparison.Ordinal)));

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("bert-sharded")]
    [InlineData("bert-bf16")]
    [InlineData("xlmr-cls-f16")]
    [InlineData("modernbert-st-mean")]
    [InlineData("norbert3-tiny-st")]
    [InlineData("norbert4-tiny")]
    [InlineData("decoder-qwen2")]
    [InlineData("decoder-gemma2")]
    [InlineData("decoder-llama3-bf16")]
    public void TheVocabularyTableStaysInTheFileAndHoldsItsValues(string name)
    {
        string path = TestPaths.FixtureModel(name);
        var table = TableOf(ArchitectureRegistry.Load(path).Parameters);
        Assert.True(table.IsFileBacked, $"{name}: {table.Name} was copied into memory");
        Assert.Equal(WeightPrecision.Float32, table.Precision);

        using var weights = Checkpoint.OpenFolder(path, "bert.", "roberta.", "model.");
        string key = weights.Keys.Single(k => Leaves.Any(l => k.EndsWith(l, StringComparison.Ordinal)));
        var expected = weights.Read(key, table.Shape);
        var read = new float[table.Length];
        table.Widen(0, read);
        Assert.Equal(expected, read);
        Assert.True(table.IsFileBacked);
    }

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("xlmr-cls-f16")]
    [InlineData("norbert3-tiny-st")]
    [InlineData("decoder-qwen2")]
    public void EmbeddingsThroughTheFileBackedTableEqualThoseOfTheCopiedTable(string name)
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel(name));
        string[] texts = ["Hei verden", "Dette er en lengre setning, med komma.", "Hej"];
        var table = TableOf(model.Parameters);
        Assert.True(table.IsFileBacked);
        var fromFile = model.Encode(texts);
        Assert.True(table.IsFileBacked, "encoding copied the table");
        _ = table.Data; // copied into memory
        Assert.False(table.IsFileBacked);
        var copied = model.Encode(texts);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(copied[i], fromFile[i]);
    }

    [Theory]
    [InlineData("bert-bf16", WeightPrecision.BFloat16)]
    [InlineData("bert-bf16", WeightPrecision.Float16)]
    [InlineData("xlmr-cls-f16", WeightPrecision.Float16)]
    [InlineData("xlmr-cls-f16", WeightPrecision.BFloat16)]
    [InlineData("bert-cased-mean", WeightPrecision.BFloat16)]
    [InlineData("decoder-qwen2", WeightPrecision.Float16)]
    public void ASixteenBitLoadLeavesTheTableInTheFileAndReadsTheRoundedValues(string name, WeightPrecision precision)
    {
        string path = TestPaths.FixtureModel(name);
        var table = TableOf(ArchitectureRegistry.Load(path, precision).Parameters);
        Assert.True(table.IsFileBacked);
        Assert.Equal(precision, table.Precision);
        // The checkpoint reader's rounding of the whole tensor (its own code path) is what the rows read from the file are.
        using var weights = Checkpoint.OpenFolder(path, "bert.", "roberta.", "model.");
        string key = weights.Keys.Single(k => Leaves.Any(l => k.EndsWith(l, StringComparison.Ordinal)));
        var expected = new ushort[table.Length];
        weights.ReadInto(key, precision, expected, table.Shape);
        var widened = new float[table.Length];
        Skald.Tensors.Kernels.F16.ToSingle(precision, expected, widened);
        var rows = new float[table.Length];
        table.Widen(0, rows);
        Assert.Equal(widened, rows);
        Assert.Equal(expected, table.Bits16.ToArray());
        Assert.False(table.IsFileBacked);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PackedOnlyAndInt8OnlyInferenceLeaveTheTableInTheFile(bool int8)
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("decoder-qwen2"));
        if (int8) model.KeepInt8Only();
        else model.KeepPackedOnly();
        model.Encode(["Hei verden", "Hej"]);
        Assert.True(TableOf(model.Parameters).IsFileBacked);
    }
}
