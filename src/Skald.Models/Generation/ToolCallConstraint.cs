namespace Skald.Models.Generation;

/// <summary>
/// A row's constraint for <c>tool_choice: "required"</c> (<see cref="ToolCallGrammar"/>): the bytes of its answer are
/// held to a <see cref="ToolCallAutomaton"/> by a <see cref="JsonConstraint{TAutomaton}"/>, and the end-of-sequence
/// tokens, which have no place in the text, are let through only where the automaton <see cref="ToolCallAutomaton.MayEnd"/>
/// (after a call's closing, when another call could still follow) and masked everywhere else, so that the answer is
/// never cut inside a call. Scratch for the end-of-sequence logits is allocated once: a step allocates nothing.
/// </summary>
internal sealed class ToolCallConstraint : ITokenConstraint
{
    private readonly JsonConstraint<ToolCallAutomaton> bytes;
    private readonly int[] eos;
    private readonly float[] kept;
    private bool ended;

    /// <summary>A constraint from <paramref name="start"/> over <paramref name="vocabulary"/>, ending with one of <paramref name="eos"/>.</summary>
    public ToolCallConstraint(JsonVocabulary vocabulary, ToolCallAutomaton start, IReadOnlyList<int> eos)
    {
        bytes = new JsonConstraint<ToolCallAutomaton>(vocabulary, start);
        this.eos = [.. eos.Where(id => id >= 0 && id < vocabulary.Vocab).Distinct()];
        kept = new float[this.eos.Length];
    }

    /// <summary>Whether the answer is whole: its last call closed and nothing may follow, or it ended where it could.</summary>
    public bool Complete => ended || bytes.Complete;

    /// <summary>Masks every token that cannot come next; an end-of-sequence token can where the answer may end.</summary>
    public bool Mask(Span<float> logits)
    {
        for (int i = 0; i < eos.Length; i++) kept[i] = logits[eos[i]];
        bool any = bytes.Mask(logits);
        bool mayEnd = bytes.State.MayEnd;
        for (int i = 0; i < eos.Length; i++) logits[eos[i]] = mayEnd ? kept[i] : float.NegativeInfinity;
        return any || (mayEnd && eos.Length > 0);
    }

    /// <summary>Moves past token <paramref name="id"/>, one <see cref="Mask"/> let through; whether the answer is now whole.</summary>
    public bool Accept(int id)
    {
        if (Array.IndexOf(eos, id) >= 0)
        {
            if (!bytes.State.MayEnd) throw new InvalidOperationException($"the end-of-sequence token {id} cannot end the answer here: it was not masked");
            return ended = true;
        }
        return bytes.Accept(id);
    }
}
