namespace Skald.Models.Generation;

/// <summary>
/// A byte-level automaton <see cref="JsonConstraint{TAutomaton}"/> masks a vocabulary with: a value type whose copy saves
/// its state, so that the trie walk tries a byte on a copy and drops it when the byte is refused.
/// </summary>
internal interface IJsonAutomaton
{
    /// <summary>Whether the text is whole (only its end may follow).</summary>
    bool Complete { get; }

    /// <summary>
    /// Whether every plain string content token (<see cref="JsonVocabulary.Plain"/>) may come next: inside a string
    /// without a length bound, between characters.
    /// </summary>
    bool BetweenStringCharacters { get; }

    /// <summary>Takes <paramref name="b"/> if the text stays a valid prefix; false if not, and the state is then spoiled.</summary>
    bool TryAdvance(byte b);

    /// <summary>Takes every byte of <paramref name="bytes"/>; false at the first it refuses.</summary>
    bool Advance(ReadOnlySpan<byte> bytes);

    /// <summary>
    /// <see cref="Advance"/> of any automaton: each byte of <paramref name="bytes"/> taken on <paramref name="state"/>
    /// in turn; false at the first it refuses, the state then left as after the bytes before it (the valid part).
    /// </summary>
    static bool AdvanceAll<T>(ref T state, ReadOnlySpan<byte> bytes) where T : struct, IJsonAutomaton
    {
        foreach (byte b in bytes)
        {
            var saved = state;
            if (state.TryAdvance(b)) continue;
            state = saved;
            return false;
        }
        return true;
    }

    /// <summary>
    /// Called on the committed state before a trie walk and around each accepted token: an automaton that keeps part of
    /// its state in storage shared by its copies drops there what only the copies of the last walk used, and may move
    /// what the committed state keeps there (so it is called on the state used next, never on a copy that is dropped).
    /// </summary>
    void Rewind();
}
