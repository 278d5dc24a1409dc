using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Tensors.Autograd;

namespace Skald.Models.LateInteraction;

/// <summary>
/// One of a ColBERT's projections over every token: a <see cref="DenseModule"/>, and, for PyLate's Dense with
/// <c>use_residual: true</c>, its input added back after the activation (the input itself when the widths agree, else
/// through the bias-free <c>residual.weight</c> [out, in] stored beside <c>linear.weight</c>).
/// </summary>
/// <remarks>
/// The one forward of a ColBERT's projections: <see cref="ColbertEncoder"/> encodes with it and a model being trained
/// (<see cref="SentenceEncoder.ForwardTokens"/>) records it.
/// Upstream: https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/models/Dense.py (Dense.forward)
/// </remarks>
internal sealed class ColbertProjection
{
    private ColbertProjection(DenseModule dense, bool residual, Parameter? residualWeight)
    {
        Dense = dense;
        Residual = residual;
        ResidualWeight = residualWeight;
    }

    /// <summary>The projection.</summary>
    public DenseModule Dense { get; }

    /// <summary>Whether the input is added back (use_residual).</summary>
    public bool Residual { get; }

    /// <summary>residual.weight [out, in] when the input is added back through a projection of its own (in ≠ out).</summary>
    public Parameter? ResidualWeight { get; }

    /// <summary><paramref name="dense"/> without a residual path (a sentence-transformers Dense, a Stanford projection).</summary>
    public static ColbertProjection Plain(DenseModule dense) => new(dense, false, null);

    /// <summary>Loads a Dense module folder, with its residual path when its config.json says use_residual.</summary>
    public static ColbertProjection Load(string folder) => Wrap(DenseModule.Load(folder), folder, "");

    /// <summary>
    /// <paramref name="dense"/>, loaded from the module folder <paramref name="folder"/> with <paramref name="namePrefix"/>
    /// before its parameters' names, with the folder's residual path when its config.json says use_residual (its
    /// <c>residual.weight</c> named as the Dense's own tensors, <c>{module}/residual.weight</c>).
    /// </summary>
    public static ColbertProjection Wrap(DenseModule dense, string folder, string namePrefix)
    {
        ArgumentNullException.ThrowIfNull(dense);
        if (!IsResidual(Path.Combine(folder, "config.json"))) return Plain(dense);
        if (dense.InFeatures == dense.OutFeatures) return new ColbertProjection(dense, true, null);
        string module = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
        using var w = Checkpoint.OpenFolder(folder);
        var weight = ParameterBuilder.FromCheckpoint(w, namePrefix + module + "/").Sub("residual").Tensor("weight", dense.OutFeatures, dense.InFeatures);
        return new ColbertProjection(dense, true, weight);
    }

    /// <summary>Its parameters: the Dense's, then residual.weight when it has one.</summary>
    public IReadOnlyList<Parameter> Parameters => ResidualWeight is null ? Dense.Parameters : [.. Dense.Parameters, ResidualWeight];

    /// <summary>Whether the Dense config <paramref name="config"/> has <c>use_residual: true</c>.</summary>
    public static bool IsResidual(string config)
    {
        using var doc = JsonFiles.Read(config);
        return doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object && JsonFiles.Bool(doc.RootElement, "use_residual", config);
    }

    /// <summary>x [B, in] → y [B, out]: activation(x · Wᵀ + b), plus x or x · Rᵀ when residual.</summary>
    public Variable Forward(Tape tape, Variable x)
    {
        var y = Dense.Forward(tape, x);
        if (!Residual) return y;
        return Ops.Add(tape, y, ResidualWeight is null ? x : Ops.Linear(tape, x, ResidualWeight, null));
    }
}
