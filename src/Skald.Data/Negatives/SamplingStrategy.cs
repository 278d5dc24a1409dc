namespace Skald.Data.Negatives;

/// <summary>Which of the qualifying candidates become negatives.</summary>
public enum SamplingStrategy
{
    /// <summary>The highest-scoring ones.</summary>
    Top,

    /// <summary>A random choice among them (then ordered by score), Python's <c>random.sample</c> (<see cref="PythonRandom"/>).</summary>
    Random,
}
