using Skald.Training.Config;
using Skald.Training.Data;
using Skald.Training.Evaluation;
using Skald.Training.Optim;

namespace Skald.Training.Trainer;

/// <summary>Global L2 norm of gradients, then (when above <c>maxNorm</c>) scaling so it equals <c>maxNorm</c>; returns the norm before clipping.</summary>
public delegate float GradientClipper(IReadOnlyList<Parameter> parameters, float maxNorm);
