using Skald.Tensors.Autograd;
using static Skald.Tensors.Tests.Autograd.TapeGradCheck;

namespace Skald.Tensors.Tests.Autograd;

/// <summary>
/// peft's DoRA on a lookup table (<see cref="LoraAdapter.ForTable"/> with a magnitude; DoraEmbeddingLayer and
/// DoraEmbeddingVariant): a gathered row is (m/ν)⊙(W[id] + scale·B·A[:, id]) with ν the adapted table's column norms,
/// written out here with loops in double; merging gives the same rows; a magnitude of the column norms leaves the rows
/// unchanged while A is zero (peft's init); gradients through Ops.Gather and BERT's fused Ops.Embeddings hold ν constant
/// (finite differences of the op for m, of a reference with ν frozen for A and B); a trainable table is refused.
/// </summary>
public sealed class TableDoraTests
{
    private const int V = 9, C = 5, Rank = 2;

    private static Parameter Table(string name, ulong seed, int rows = V) => new(name, Random(rows * C, seed, 0.5f), [rows, C], false) { IsTable = true };

    private static LoraAdapter Adapter(int rows = V, float scale = 1.5f) =>
        LoraAdapter.ForTable(Param("t.lora_embedding_A", 3, 0.5f, Rank, rows), Param("t.lora_embedding_B", 4, 0.5f, C, Rank), scale,
            Param("t.lora_magnitude_vector", 5, 1f, C));

    /// <summary>The adapted table W + scale·(B·A)ᵀ [rows, C] in double.</summary>
    private static double[] Adapted(float[] w, float[] a, float[] b, float scale, int rows)
    {
        var t = new double[rows * C];
        for (int v = 0; v < rows; v++)
        {
            for (int c = 0; c < C; c++)
            {
                double delta = 0;
                for (int j = 0; j < Rank; j++) delta += (double)b[c * Rank + j] * a[j * rows + v];
                t[v * C + c] = w[v * C + c] + scale * delta;
            }
        }
        return t;
    }

    /// <summary>ν[c] = ‖column c of the adapted table‖.</summary>
    private static double[] Norms(double[] adapted, int rows)
    {
        var nu = new double[C];
        for (int c = 0; c < C; c++) nu[c] = Math.Sqrt(Enumerable.Range(0, rows).Sum(v => adapted[v * C + c] * adapted[v * C + c]));
        return nu;
    }

    /// <summary>Rows (m/ν)⊙adapted[id] for each id, ν from the current A and B or <paramref name="frozen"/>.</summary>
    private static double[] Reference(Parameter table, LoraAdapter lora, int[] ids, double[]? frozen = null)
    {
        int rows = table.Shape[0];
        var adapted = Adapted(table.Data.ToArray(), lora.A.Data.ToArray(), lora.B.Data.ToArray(), lora.Scale, rows);
        var nu = frozen ?? Norms(adapted, rows);
        var m = lora.Magnitude!.Data.ToArray();
        var y = new double[ids.Length * C];
        for (int i = 0; i < ids.Length; i++)
        {
            for (int c = 0; c < C; c++) y[i * C + c] = m[c] / nu[c] * adapted[ids[i] * C + c];
        }
        return y;
    }

    private static void Near(double expected, float actual, string what, double tol = 1e-5) =>
        Assert.True(Math.Abs(expected - actual) <= tol * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");

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
        var norms = new float[C];
        lora.WeightNorms(table, norms);
        var nu = Norms(Adapted(table.Data.ToArray(), lora.A.Data.ToArray(), lora.B.Data.ToArray(), lora.Scale, V), V);
        for (int c = 0; c < C; c++) Near(nu[c], norms[c], $"ν[{c}]");

        lora.MergeInto(table);
        table.Lora = null;
        var merged = Ops.Gather(tape, ids, table).Span.ToArray();
        for (int i = 0; i < y.Length; i++) Near(expected[i], merged[i], $"merged y[{i}]");
    }

    [Fact]
    public void AMagnitudeOfTheColumnNormsLeavesTheRowsUnchangedWhileAIsZero()
    {
        var table = Table("embed_tokens.weight", 1);
        var a = new Parameter("a", new float[Rank * V], [Rank, V], true);
        var b = Param("b", 4, 0.5f, C, Rank);
        var norms = new float[C];
        LoraAdapter.ForTable(a, b, 2f).WeightNorms(table, norms);
        var w = table.Data.ToArray();
        for (int c = 0; c < C; c++) Near(Math.Sqrt(Enumerable.Range(0, V).Sum(v => (double)w[v * C + c] * w[v * C + c])), norms[c], $"‖W[:, {c}]‖");
        int[] ids = [1, 7, 7, 2];
        var tape = new Tape(recording: false);
        var plain = Ops.Gather(tape, ids, table).Span.ToArray();
        table.Lora = LoraAdapter.ForTable(a, b, 2f, new Parameter("m", norms, [C], true));
        var dora = Ops.Gather(tape, ids, table).Span.ToArray();
        for (int i = 0; i < plain.Length; i++) Near(plain[i], dora[i], $"y[{i}]");
    }

    [Fact]
    public void GradientsThroughGatherHoldTheNormConstant()
    {
        var table = Table("embed_tokens.weight", 1);
        var lora = Adapter();
        table.Lora = lora;
        table.RequiresGrad = false;
        int[] ids = [3, 0, 8, 3, 5, 3];
        Check((t, _) => Ops.Gather(t, ids, table), [], [lora.Magnitude!], samples: 5); // m does not reach ν
        FrozenNormDifferences(table, lora, ids);
        Assert.All(table.Grad.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void BertsFusedEmbeddingsTakeTheDecomposedWordTableBeforeTheLayerNorm()
    {
        var word = Table("embeddings.word_embeddings.weight", 1);
        var position = Table("embeddings.position_embeddings.weight", 11, rows: 6);
        var type = Table("embeddings.token_type_embeddings.weight", 12, rows: 2);
        var gamma = Param("g", 13, 0.3f, C);
        var beta = Param("b", 14, 0.3f, C);
        foreach (var p in new[] { word, position, type, gamma, beta }) p.RequiresGrad = false;
        int[] ids = [3, 0, 8, 3], positions = [0, 1, 2, 3], types = [0, 0, 1, 1];
        word.Lora = Adapter();
        position.Lora = LoraAdapter.ForTable(Param("p.a", 15, 0.5f, Rank, 6), Param("p.b", 16, 0.5f, C, Rank), 0.5f); // plain LoRA beside it
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
            [word.Lora.Magnitude!, position.Lora.A, position.Lora.B], samples: 20);
    }

    [Fact]
    public void ATrainableTableIsRefused()
    {
        var table = Table("embed_tokens.weight", 1);
        table.Lora = Adapter();
        var e = Assert.Throws<InvalidOperationException>(() => Ops.Gather(new Tape(), [1, 2], table));
        Assert.Contains("frozen", e.Message);
        Assert.Throws<ArgumentException>(() => LoraAdapter.ForTable(Param("a", 3, 0.5f, Rank, V), Param("b", 4, 0.5f, C, Rank), 1f,
            Param("m", 5, 1f, C + 1)));
    }

    private static double[] Frozen(Parameter table, LoraAdapter lora) =>
        Norms(Adapted(table.Data.ToArray(), lora.A.Data.ToArray(), lora.B.Data.ToArray(), lora.Scale, table.Shape[0]), table.Shape[0]);

    /// <summary>
    /// A's and B's gradients from one backward of Σ seed⊙Gather(ids) against central differences of the reference with ν
    /// held at its starting value (as peft detaches it).
    /// </summary>
    private static void FrozenNormDifferences(Parameter table, LoraAdapter lora, int[] ids)
    {
        var seed = Random(ids.Length * C, 9);
        foreach (var p in lora.Parameters) p.Grad.Span.Clear();
        var tape = new Tape();
        var y = Ops.Gather(tape, ids, table);
        tape.Seed(y, seed);
        tape.Backward();
        var frozen = Frozen(table, lora);
        ReferenceDifferences([lora.A, lora.B], () => Reference(table, lora, ids, frozen).Select((v, i) => v * seed[i]).Sum());
    }
}
