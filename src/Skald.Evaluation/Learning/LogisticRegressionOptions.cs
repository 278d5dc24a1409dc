namespace Skald.Evaluation.Learning;

/// <summary>Settings of <see cref="LogisticRegression"/>.</summary>
/// <param name="C">Inverse L2 strength, as sklearn's <c>C</c> (default 1).</param>
/// <param name="MaxIterations">L-BFGS iterations (sklearn and MTEB: 100).</param>
/// <param name="Tolerance">Stop when the largest gradient component falls below this (sklearn: 1e-4).</param>
public sealed record LogisticRegressionOptions(double C = 1.0, int MaxIterations = 100, double Tolerance = 1e-4);
