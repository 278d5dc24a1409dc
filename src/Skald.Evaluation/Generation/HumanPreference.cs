using Skald.Retrieval;

namespace Skald.Evaluation.Generation;

/// <summary>One human judgement between two systems' answers to a task row: <c>{"id", "a", "b", "winner"}</c>.</summary>
/// <param name="Id">The task row.</param>
/// <param name="A">First system's name.</param>
/// <param name="B">Second system's name.</param>
/// <param name="Winner"><c>a</c>, <c>b</c> (or the system's name) or <c>tie</c>.</param>
/// <param name="Where">Where the judgement was read (<c>FILE:LINE</c>), named by its errors; null for one made in code.</param>
public sealed record HumanPreference(string Id, string A, string B, string Winner, string? Where = null)
{
    /// <summary>The judgement as a sign: 1 when <see cref="A"/> won, −1 when <see cref="B"/> won, 0 for a tie.</summary>
    /// <exception cref="EvaluationException">
    /// <see cref="A"/> and <see cref="B"/> are one system, or the winner is none of <c>a</c>, <c>b</c>, <c>tie</c> and
    /// the two names, or it means two of them (a system named <c>b</c> or <c>tie</c>); the message names <see cref="Where"/>.
    /// </exception>
    public int Outcome()
    {
        if (A == B) throw new EvaluationException($"{Location}: 'a' and 'b' are the same system '{A}'; a judgement compares two");
        var meant = new HashSet<int>();
        if (Winner == "a" || Winner == A) meant.Add(1);
        if (Winner == "b" || Winner == B) meant.Add(-1);
        if (Winner == "tie") meant.Add(0);
        return meant.Count switch
        {
            1 => meant.First(),
            0 => throw new EvaluationException($"{Location}: winner '{Winner}' is none of a, b, tie, '{A}', '{B}'"),
            _ => throw new EvaluationException($"{Location}: winner '{Winner}' is ambiguous (a is '{A}', b is '{B}')"),
        };
    }

    /// <summary>Where the judgement came from, for an error: <see cref="Where"/>, else <c>preferences</c>.</summary>
    internal string Location => Where ?? "preferences";
}
