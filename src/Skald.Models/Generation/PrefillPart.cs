namespace Skald.Models.Generation;

/// <summary>
/// A request whose prompt <see cref="JoinPrefill"/> prefills: the batch row it takes once whole, its request and JSON
/// constraint, its prompt tokens already in the prefill cache, its row there, and the tokens of the pass being planned.
/// </summary>
internal sealed class PrefillPart(int row, GenerationJoin join, ITokenConstraint? json)
{
    /// <summary>The batch row it takes once prefilled.</summary>
    public int Row { get; } = row;

    /// <summary>The request.</summary>
    public GenerationJoin Join { get; } = join;

    /// <summary>Its JSON constraint, made when it was taken (null: free text).</summary>
    public ITokenConstraint? Json { get; } = json;

    /// <summary>Prompt tokens in the prefill cache.</summary>
    public int Done { get; set; }

    /// <summary>Prompt tokens of the pass being planned.</summary>
    public int Count { get; set; }

    /// <summary>Its row of the prefill cache.</summary>
    public int Slot { get; set; }

    /// <summary>Its row among the logits of the last pass (once its prompt is whole).</summary>
    public int LogitsRow { get; set; }

    /// <summary>Whether its prompt is whole once the planned pass has run.</summary>
    public bool Whole => Done + Count == Join.Prompt.Count;
}
