using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;

namespace Skald.Models.BgeM3;

/// <summary>
/// BGE-M3's two heads beside the transformer, as FlagEmbedding saves them (the state dict of a <c>torch.nn.Linear</c>
/// each, written by <c>torch.save</c>, read here without running anything): <c>sparse_linear.pt</c> (hidden → 1, a
/// token's lexical weight before the relu) and <c>colbert_linear.pt</c> (hidden → colbert_dim, hidden unless the model
/// was trained with another). A missing key or a shape that does not fit is a <see cref="ModelFormatException"/> naming
/// the file and the key.
/// </summary>
/// <remarks>Upstream (EncoderOnlyEmbedderM3Runner.get_model): https://github.com/FlagOpen/FlagEmbedding/blob/7ed43d67ec03fbe5c31c0992dbfa941fb1860549/FlagEmbedding/finetune/embedder/encoder_only/m3/runner.py;
/// new heads (<see cref="Create"/>) as at https://github.com/FlagOpen/FlagEmbedding/blob/cd11b826333ce1b98ca860b08d48afeeae06c101/FlagEmbedding/finetune/embedder/encoder_only/m3/runner.py,
/// where colbert_dim ≤ 0 means hidden_size (an earlier version, 0817e770, had the test inverted and failed on the default −1).</remarks>
internal sealed class BgeM3Heads
{
    /// <summary>The sparse head's file name in the model folder.</summary>
    public const string SparseFile = "sparse_linear.pt";

    /// <summary>The ColBERT head's file name in the model folder.</summary>
    public const string ColbertFile = "colbert_linear.pt";

    private BgeM3Heads(Parameter sparseWeight, Parameter sparseBias, Parameter colbertWeight, Parameter colbertBias)
    {
        SparseWeight = sparseWeight;
        SparseBias = sparseBias;
        ColbertWeight = colbertWeight;
        ColbertBias = colbertBias;
    }

    /// <summary>sparse_linear's weight [1, hidden].</summary>
    public Parameter SparseWeight { get; }

    /// <summary>sparse_linear's bias [1].</summary>
    public Parameter SparseBias { get; }

    /// <summary>colbert_linear's weight [colbert_dim, hidden].</summary>
    public Parameter ColbertWeight { get; }

    /// <summary>colbert_linear's bias [colbert_dim].</summary>
    public Parameter ColbertBias { get; }

    /// <summary>Width of a ColBERT vector (colbert_dim).</summary>
    public int ColbertDimension => ColbertWeight.Shape[0];

    /// <summary>Whether <paramref name="folder"/> holds either head file.</summary>
    public static bool AnyIn(string folder) =>
        File.Exists(Path.Combine(folder, SparseFile)) || File.Exists(Path.Combine(folder, ColbertFile));

    /// <summary>
    /// New heads for a base without them, as FlagEmbedding's get_model makes them: colbert_linear hidden →
    /// <paramref name="colbertDim"/> (hidden when it is 0 or below: upstream's −1) and sparse_linear hidden → 1, each
    /// weight and bias drawn as torch.nn.Linear's reset_parameters draws them (kaiming_uniform with a = √5 for the
    /// weight and the bias's uniform: both U(−1/√hidden, 1/√hidden)), from one <see cref="SkaldRandom"/> of
    /// <paramref name="seed"/> in upstream's order: colbert_linear's weight (row-major), its bias, then sparse_linear's.
    /// </summary>
    public static BgeM3Heads Create(int hidden, int colbertDim, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        int dim = colbertDim > 0 ? colbertDim : hidden;
        var random = new SkaldRandom(seed);
        float bound = 1f / MathF.Sqrt(hidden);
        Parameter Draw(string name, int[] shape)
        {
            var values = new float[shape.Aggregate(1, (a, n) => a * n)];
            random.FillUniform(values, -bound, bound);
            return new Parameter(name, values, shape, ParameterBuilder.WeightDecayFor(name));
        }
        var cw = Draw("colbert_linear/weight", [dim, hidden]);
        var cb = Draw("colbert_linear/bias", [dim]);
        var sw = Draw("sparse_linear/weight", [1, hidden]);
        var sb = Draw("sparse_linear/bias", [1]);
        return new BgeM3Heads(sw, sb, cw, cb);
    }

    /// <summary>Reads both heads from <paramref name="folder"/> for a transformer of <paramref name="hidden"/> values per token.</summary>
    public static BgeM3Heads Load(string folder, int hidden)
    {
        string sparse = Path.Combine(folder, SparseFile), colbert = Path.Combine(folder, ColbertFile);
        foreach (var (file, other) in new[] { (sparse, colbert), (colbert, sparse) })
        {
            if (!File.Exists(file))
                throw new ModelFormatException($"{file}: not found; a BGE-M3 folder holds both {SparseFile} and {ColbertFile} " +
                    $"(FlagEmbedding reads them together){(File.Exists(other) ? $", and {Path.GetFileName(other)} is there" : "")}");
        }
        var (sw, sb) = Linear(sparse, "sparse_linear/", hidden, 1);
        var (cw, cb) = Linear(colbert, "colbert_linear/", hidden, null);
        return new BgeM3Heads(sw, sb, cw, cb);
    }

    // A Linear's weight [out, in] and bias [out] from one torch.save file; out is read from the file when not given.
    private static (Parameter Weight, Parameter Bias) Linear(string file, string name, int hidden, int? outFeatures)
    {
        using var checkpoint = Checkpoint.OpenFile(file);
        var shape = checkpoint.Shape("weight"); // a missing key: "FILE: missing tensor "weight""
        int rows = outFeatures ?? (shape.Length == 2 ? shape[0] : 0);
        if (shape.Length != 2 || shape[1] != hidden || shape[0] != rows || rows < 1)
            throw new ModelFormatException($"{file}: tensor \"weight\" has shape [{string.Join(", ", shape)}], " +
                $"expected [{(outFeatures is int n ? n : "colbert_dim")}, {hidden}] (a Linear from the model's hidden_size {hidden})");
        var p = ParameterBuilder.FromCheckpoint(checkpoint, name);
        return (p.Tensor("weight", rows, hidden), p.Tensor("bias", rows));
    }
}
