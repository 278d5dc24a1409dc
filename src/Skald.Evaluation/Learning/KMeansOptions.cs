namespace Skald.Evaluation.Learning;

/// <summary>Settings of <see cref="KMeans"/>.</summary>
/// <param name="Restarts">Independent k-means++ initialisations; the run with the lowest inertia wins.</param>
/// <param name="MaxIterations">Lloyd iterations per run.</param>
/// <param name="Seed">Seed of the initialisations (the result is a pure function of data and seed).</param>
public sealed record KMeansOptions(int Restarts = 10, int MaxIterations = 300, int Seed = 42);
