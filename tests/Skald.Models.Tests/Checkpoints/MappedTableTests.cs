using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests.Checkpoints;

/// <summary>
/// Every architecture's vocabulary table is loaded through <see cref="ParameterBuilder.Table"/>: it stays in the
/// safetensors file, memory-mapped, when the load's precision holds the stored values exactly. Its values are the file's
/// (read independently by <see cref="Checkpoint.Read"/>), embeddings are bit for bit those of the same table copied into
/// memory, and packed-only and int8-only inference leave it mapped (only the rows texts use become resident).
/// </summary>
public sealed class MappedTableTests
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
    public void TheVocabularyTableStaysMappedAndHoldsTheFilesValues(string name)
    {
        string path = TestPaths.FixtureModel(name);
        var table = TableOf(ArchitectureRegistry.Load(path).Parameters);
        Assert.True(table.IsMapped, $"{name}: {table.Name} was copied into memory");
        Assert.Equal(WeightPrecision.Float32, table.Precision);

        using var weights = Checkpoint.OpenFolder(path, "bert.", "roberta.", "model.");
        string key = weights.Keys.Single(k => Leaves.Any(l => k.EndsWith(l, StringComparison.Ordinal)));
        var expected = weights.Read(key, table.Shape);
        var mapped = new float[table.Length];
        table.Widen(0, mapped);
        Assert.Equal(expected, mapped);
        Assert.True(table.IsMapped);
    }

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("xlmr-cls-f16")]
    [InlineData("norbert3-tiny-st")]
    [InlineData("decoder-qwen2")]
    public void EmbeddingsThroughTheMappedTableEqualThoseOfTheCopiedTable(string name)
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel(name));
        string[] texts = ["Hei verden", "Dette er en lengre setning, med komma.", "Hej"];
        var table = TableOf(model.Parameters);
        Assert.True(table.IsMapped);
        var mapped = model.Encode(texts);
        Assert.True(table.IsMapped, "encoding copied the table");
        _ = table.Data; // copied into memory
        Assert.False(table.IsMapped);
        var copied = model.Encode(texts);
        for (int i = 0; i < texts.Length; i++) Assert.Equal(copied[i], mapped[i]);
    }

    [Theory]
    [InlineData("bert-bf16", WeightPrecision.BFloat16)]
    [InlineData("bert-bf16", WeightPrecision.Float16)]
    [InlineData("xlmr-cls-f16", WeightPrecision.Float16)]
    [InlineData("xlmr-cls-f16", WeightPrecision.BFloat16)]
    [InlineData("bert-cased-mean", WeightPrecision.BFloat16)]
    [InlineData("decoder-qwen2", WeightPrecision.Float16)]
    public void ASixteenBitLoadMapsTheTableAndReadsTheRoundedValues(string name, WeightPrecision precision)
    {
        string path = TestPaths.FixtureModel(name);
        var table = TableOf(ArchitectureRegistry.Load(path, precision).Parameters);
        Assert.True(table.IsMapped);
        Assert.Equal(precision, table.Precision);
        // The checkpoint reader's rounding of the whole tensor (its own code path) is what the mapped rows read.
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
        Assert.False(table.IsMapped);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PackedOnlyAndInt8OnlyInferenceLeaveTheTableMapped(bool int8)
    {
        var model = SentenceEncoder.Load(TestPaths.FixtureModel("decoder-qwen2"));
        if (int8) model.KeepInt8Only();
        else model.KeepPackedOnly();
        model.Encode(["Hei verden", "Hej"]);
        Assert.True(TableOf(model.Parameters).IsMapped);
    }
}
