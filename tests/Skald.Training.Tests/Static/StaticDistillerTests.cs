using Skald.Models;
using Skald.Tensors;
using Skald.Training.Static;

namespace Skald.Training.Tests.Static;

public sealed class StaticDistillerTests
{
    private static readonly Lazy<SentenceEncoder> Teacher = new(() => SentenceEncoder.Load(StaticFixtures.FixtureModel("bert-cased-mean")));

    [Fact]
    public void JacobiFindsKnownEigenvalues()
    {
        // Q diag(5, 3, 1, 0.5) Qᵀ with Q a rotation built from two Givens rotations.
        double[] lambda = [5, 3, 1, 0.5];
        int n = 4;
        var q = Identity(n);
        Givens(q, n, 0, 2, 0.7);
        Givens(q, n, 1, 3, -1.1);
        Givens(q, n, 0, 1, 0.3);
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                for (int k = 0; k < n; k++) a[i * n + j] += q[i * n + k] * lambda[k] * q[j * n + k];
        var (values, vectors) = SymmetricEigen.Decompose(a, n);
        for (int k = 0; k < n; k++) Assert.Equal(lambda[k], values[k], 10);
        for (int c = 0; c < n; c++)
        {
            // A v = λ v and the eigenvector is ± the column of Q.
            for (int i = 0; i < n; i++)
            {
                double av = 0;
                for (int j = 0; j < n; j++) av += a[i * n + j] * vectors[j * n + c];
                Assert.Equal(values[c] * vectors[i * n + c], av, 10);
            }
            double dot = 0;
            for (int i = 0; i < n; i++) dot += vectors[i * n + c] * q[i * n + c];
            Assert.Equal(1, Math.Abs(dot), 10);
        }
    }

    [Fact]
    public void PcaRecoversAxesVariancesAndSignConvention()
    {
        // Points x = m + 3·s·u + 1·t·w with u ⟂ w (unit) in 3-D and s, t = ±1 in all four combinations:
        // variance 9·4/3 = 12 along u, 4/3 along w, 0 along the third axis.
        double r = Math.Sqrt(0.5);
        double[] u = [r, -r, 0], w = [0, 0, -1], m = [1, 2, 3];
        var data = new List<float>();
        foreach (var (s, t) in new[] { (1, 1), (1, -1), (-1, 1), (-1, -1) })
            for (int j = 0; j < 3; j++) data.Add((float)(m[j] + 3 * s * u[j] + t * w[j]));
        var pca = Pca.Fit(data.ToArray(), 4, 3, 2);
        Assert.Equal(12, pca.ExplainedVariance[0], 5);
        Assert.Equal(4.0 / 3, pca.ExplainedVariance[1], 5);
        Assert.Equal(m, pca.Mean.Select(x => Math.Round(x, 5)));
        // Sign: the largest-magnitude entry of each component is positive (first on ties): u → (r, -r, 0), w → (0, 0, 1).
        Assert.Equal([r, -r, 0], pca.Components.Take(3).Select(x => Math.Round(x, 6)), new Tol());
        Assert.Equal([0, 0, 1], pca.Components.Skip(3).Select(x => Math.Round(x, 6)), new Tol());
        var z = pca.Transform(data.ToArray(), 4);
        Assert.Equal([3, -1, 3, 1, -3, -1, -3, 1], z.Select(x => (double)MathF.Round(x, 4)), new Tol());
    }

    [Fact]
    public void SifWeightsFollowZipfRankOrCorpusCounts()
    {
        var zipf = StaticDistiller.SifWeights(4, 0.1f);
        double sum = 1 / 2.0 + 1 / 3.0 + 1 / 4.0 + 1 / 5.0;
        for (int r = 0; r < 4; r++) Assert.Equal(0.1 / (0.1 + 1.0 / (r + 2) / sum), zipf[r], 5);
        Assert.True(zipf[0] < zipf[3]);
        var counted = StaticDistiller.SifWeights(3, 0.5f, [2, 0, 6]);
        Assert.Equal([0.5f / 0.75f, 1f, 0.5f / 1.25f], counted);
    }

    [Fact]
    public void DistilsTheTinyTeacherDeterministically()
    {
        var teacher = Teacher.Value;
        var a = StaticDistiller.Distill(teacher, pcaDims: 16);
        Assert.Equal(teacher.Tokenizer.VocabSize, a.VocabSize);
        Assert.Equal(16, a.Dimension);
        Assert.Equal(a.VocabSize * 16, a.Values.Length);
        Assert.All(a.Values, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(a.Values, StaticDistiller.Distill(teacher, pcaDims: 16).Values);
        // Without weighting and with full width, the table is the PCA rotation of the token vectors: same Gram
        // structure (pairwise distances) as the teacher's token vectors.
        var raw = StaticDistiller.TokenEmbeddings(teacher);
        var full = StaticDistiller.Distill(teacher, pcaDims: 64, new StaticDistillOptions { SifCoefficient = null });
        Assert.Equal(32, full.Dimension); // capped at the teacher's width
        for (int i = 0, j = 0; i < 50; i++, j = (j + 7) % full.VocabSize)
            Assert.Equal(Distance(raw, i, j, 32), Distance(full.Values, i, j, 32), 3);
        // Zipf weighting shrinks frequent (low-rank) rows most.
        var weighted = StaticDistiller.Distill(teacher, pcaDims: 32);
        Assert.True(Norm(weighted.Values, 5, 32) / Norm(full.Values, 5, 32) < Norm(weighted.Values, 700, 32) / Norm(full.Values, 700, 32));
    }

    [Fact]
    public void TokenVectorIsTheTeacherOutputMeanOverSpecialsAndToken()
    {
        var teacher = Teacher.Value;
        var raw = StaticDistiller.TokenEmbeddings(teacher, new StaticDistillOptions { BatchSize = 7 });
        int c = teacher.Transformer.HiddenSize;
        int cls = teacher.Tokenizer.TokenToId("[CLS]")!.Value, sep = teacher.Tokenizer.TokenToId("[SEP]")!.Value;
        int tok = 123;
        var hidden = new float[3 * c];
        teacher.TokenStates(new Skald.Models.Architectures.TokenBatch([sep, tok, cls], [1, 1, 1], [0, 0, 0], 1, 3), hidden);
        for (int k = 0; k < c; k++) Assert.Equal((hidden[k] + hidden[c + k] + hidden[2 * c + k]) / 3f, raw[tok * c + k], 5);
    }

    [Fact]
    public void DistilledModelSavesLoadsAndTrains()
    {
        var teacher = Teacher.Value;
        var corpus = File.ReadLines(Path.Combine(StaticFixtures.RepoRoot, "samples", "data", "corpus.txt")).Take(200).ToArray();
        var model = StaticDistiller.Distill(teacher, pcaDims: 16, new StaticDistillOptions { Corpus = corpus });
        string dir = Path.Combine(StaticFixtures.NewTempDir(), "distilled");
        model.Save(dir);
        // The saved model embeds a text as the mean of its tokens' rows (no special tokens).
        var ids = teacher.Tokenizer.Encode(corpus[0], false).Ids;
        var expected = new float[model.Dimension];
        foreach (int id in ids)
        {
            for (int k = 0; k < expected.Length; k++) expected[k] += model.Values[id * model.Dimension + k] / ids.Length;
        }
        var actual = SentenceEncoder.Load(dir).Encode(corpus[0]);
        for (int k = 0; k < expected.Length; k++) Assert.Equal(expected[k], actual[k], 5);
        var (result, _) = StaticFixtures.Train(dir, corpus[..50], corpus[50..100], new Skald.Training.Config.LossSection(), batchSize: 16, steps: 3, lr: 0.1f, seed: 1);
        Assert.Equal(3, result.Steps);
    }

    private static double Distance(float[] t, int i, int j, int d)
    {
        double s = 0;
        for (int k = 0; k < d; k++) s += Math.Pow(t[i * d + k] - (double)t[j * d + k], 2);
        return Math.Sqrt(s);
    }

    private static double Norm(float[] t, int i, int d) => Math.Sqrt(Enumerable.Range(0, d).Sum(k => (double)t[i * d + k] * t[i * d + k]));

    private static double[] Identity(int n)
    {
        var m = new double[n * n];
        for (int i = 0; i < n; i++) m[i * n + i] = 1;
        return m;
    }

    private static void Givens(double[] q, int n, int p, int r, double angle)
    {
        double c = Math.Cos(angle), s = Math.Sin(angle);
        for (int k = 0; k < n; k++)
        {
            double a = q[k * n + p], b = q[k * n + r];
            q[k * n + p] = c * a - s * b;
            q[k * n + r] = s * a + c * b;
        }
    }

    private sealed class Tol : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < 1e-4;

        public int GetHashCode(double obj) => 0;
    }
}
