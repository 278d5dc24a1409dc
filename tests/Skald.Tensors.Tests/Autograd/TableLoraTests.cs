using Skald.Tensors.Autograd;
using static Skald.Tensors.Tests.Autograd.TapeGradCheck;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// peft's Embedding LoRA on a lookup table (<see cref="LoraAdapter.ForTable"/>): a gathered row is
/// W[id] + scale·B·A[:, id] (A [r, V], B [C, r]), written out here with loops; merging gives W + scale·(B·A)ᵀ; the
/// adapter's gradients through Ops.Gather and through BERT's fused Ops.Embeddings match finite differences; a Linear
/// use of the same (tied) table leaves it out; the wrong kind of adapter is refused (DoRA on a table: TableDoraTests).
/// </summary>
public sealed class TableLoraTests
{
    private const int V = 9, C = 5, Rank = 2;

    private static Parameter Table(string name, ulong seed, int rows = V) => new(name, Random(rows * C, seed, 0.5f), [rows, C], false) { IsTable = true };

    private static LoraAdapter Adapter(float scale = 1.5f, int rows = V) =>
        LoraAdapter.ForTable(Param("t.lora_embedding_A", 3, 0.5f, Rank, rows), Param("t.lora_embedding_B", 4, 0.5f, C, Rank), scale);

    /// <summary>W[id] + scale·Σ_j B[:, j]·A[j, id] for each id.</summary>
    private static double[] Reference(Parameter table, LoraAdapter lora, int[] ids)
    {
        var w = table.Data.ToArray();
        var a = lora.A.Data.ToArray();
        var b = lora.B.Data.ToArray();
        int rows = table.Shape[0];
        var y = new double[ids.Length * C];
        for (int i = 0; i < ids.Length; i++)
        {
            for (int c = 0; c < C; c++)
            {
                double delta = 0;
                for (int j = 0; j < Rank; j++) delta += b[c * Rank + j] * a[j * rows + ids[i]];
                y[i * C + c] = w[ids[i] * C + c] + lora.Scale * delta;
            }
        }
        return y;
    }

    private static void Near(double expected, float actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");

    [Fact]
    public void AGatheredRowIsPeftsFormulaAndMergingGivesTheSameRows()
    {
        var table = Table("embed_tokens.weight", 1);
        var lora = Adapter();
        table.Lora = lora;
        int[] ids = [3, 0, 8, 3, 5];
        var tape = new Tape(recording: false);
        var y = Ops.Gather(tape, ids, table).Span.ToArray();
        var expected = Reference(table, lora, ids);
        for (int i = 0; i < y.Length; i++) Near(expected[i], y[i], $"y[{i}]");

        // A Linear over the same (tied) table is the plain table: the adapter belongs to the lookup.
        var x = Random(2 * C, 6);
        var plain = new Parameter("plain", table.Data.ToArray(), [V, C], false);
        Assert.Equal(Ops.Linear(tape, tape.Constant(x, 2, C), plain, null).Span.ToArray(),
            Ops.Linear(tape, tape.Constant(x, 2, C), table, null).Span.ToArray());

        lora.MergeInto(table);
        table.Lora = null;
        var merged = Ops.Gather(tape, ids, table).Span.ToArray();
        for (int i = 0; i < y.Length; i++) Near(expected[i], merged[i], $"merged y[{i}]");
    }

    [Fact]
    public void GradientsThroughGatherMatchFiniteDifferences()
    {
        var table = Table("embed_tokens.weight", 1);
        var lora = Adapter();
        table.Lora = lora;
        table.RequiresGrad = false;
        int[] ids = [3, 0, 8, 3, 5, 3]; // a repeated id: its column of A gathers gradient from each use
        Check((t, _) => Ops.Gather(t, ids, table), [], [lora.A, lora.B], samples: 40);
        Assert.All(table.Grad.ToArray(), g => Assert.Equal(0f, g)); // frozen
    }

    [Fact]
    public void BertsFusedEmbeddingsTakeTheAdapterBeforeTheLayerNorm()
    {
        var word = Table("embeddings.word_embeddings.weight", 1);
        var position = Table("embeddings.position_embeddings.weight", 11, rows: 6);
        var type = Table("embeddings.token_type_embeddings.weight", 12, rows: 2);
        var gamma = Param("g", 13, 0.3f, C);
        var beta = Param("b", 14, 0.3f, C);
        foreach (var p in new[] { word, position, type, gamma, beta }) p.RequiresGrad = false;
        int[] ids = [3, 0, 8, 3], positions = [0, 1, 2, 3], types = [0, 0, 1, 1];
        word.Lora = Adapter();
        position.Lora = LoraAdapter.ForTable(Param("p.a", 15, 0.5f, Rank, 6), Param("p.b", 16, 0.5f, C, Rank), 0.5f);
        var tape = new Tape(recording: false);
        var y = Ops.Embeddings(tape, ids, positions, types, word, position, type, gamma, beta, 1e-12f, 0f).Span.ToArray();
        Parameter Merged(Parameter p)
        {
            var copy = new Parameter(p.Name, p.Data.ToArray(), p.Shape, false) { IsTable = true };
            p.Lora?.MergeInto(copy);
            return copy;
        }
        var expected = Ops.Embeddings(tape, ids, positions, types, Merged(word), Merged(position), Merged(type), gamma, beta, 1e-12f, 0f).Span.ToArray();
        for (int i = 0; i < y.Length; i++) Near(expected[i], y[i], $"y[{i}]");
        Check((t, _) => Ops.Embeddings(t, ids, positions, types, word, position, type, gamma, beta, 1e-12f, 0f), [],
            [word.Lora.A, word.Lora.B, position.Lora.A, position.Lora.B], samples: 30);
    }

    [Fact]
    public void TheWrongKindOfAdapterIsRefused()
    {
        var table = Table("embed_tokens.weight", 1);
        var linear = new LoraAdapter(Param("a", 3, 0.5f, Rank, C), Param("b", 4, 0.5f, V, Rank), 1f, 0f);
        var e = Assert.Throws<ArgumentException>(() => table.Lora = linear);
        Assert.Contains("embed_tokens.weight", e.Message);
        var weight = Param("q_proj.weight", 1, 0.5f, V, C);
        Assert.Throws<ArgumentException>(() => weight.Lora = Adapter());
    }
}
