namespace Skald.Models.Generation;

/// <summary>
/// JSON output for one decoding row (<see cref="OutputFormat.JsonObject"/> with a <see cref="JsonAutomaton"/>,
/// <see cref="OutputFormat.JsonSchema"/> with a <see cref="JsonSchemaAutomaton"/>), grammar-constrained decoding as llama.cpp's
/// grammar sampler and vLLM's guided decoding do it: before each token is chosen, <see cref="Mask"/> sets to −∞ the
/// logits of every token whose bytes would take the row's text out of the prefixes the automaton accepts, so greedy choice, temperature, top-k and top-p all see only the tokens that keep it
/// valid; <see cref="Accept"/> moves the automaton over the chosen token, and says when the value has closed, where
/// the row ends. The vocabulary is walked as a <see cref="TokenTrie"/>, pruned at the first refused byte; inside a
/// string only the tokens that are not plain content are walked (<see cref="JsonVocabulary"/>). Scratch buffers are
/// the row's own, allocated once: a step allocates nothing. The automaton is a type argument, so each one's walk is
/// compiled for it (no virtual call per byte).
/// </summary>
internal sealed class JsonConstraint<TAutomaton> : ITokenConstraint where TAutomaton : struct, IJsonAutomaton
{
    private readonly JsonVocabulary vocabulary;
    private readonly TAutomaton[] states; // states[d]: after the first d bytes of the trie node being tested
    private readonly ulong[] allowed;
    private TAutomaton state;

    /// <summary>A constraint from <paramref name="start"/> (the start of a row's text), over the tokens of <paramref name="vocabulary"/>.</summary>
    public JsonConstraint(JsonVocabulary vocabulary, TAutomaton start)
    {
        this.vocabulary = vocabulary;
        state = start;
        states = new TAutomaton[vocabulary.All.MaxDepth + 1];
        allowed = new ulong[(vocabulary.Vocab + 63) / 64];
    }

    /// <summary>Whether the text is a complete JSON value (the top-level object closed).</summary>
    public bool Complete => state.Complete;

    /// <summary>The automaton after the tokens accepted so far (a copy).</summary>
    public TAutomaton State => state;

    /// <summary>
    /// Sets <paramref name="logits"/> [V] to −∞ for every token that cannot come next; false when none can (a vocabulary
    /// without the bytes the text needs, or a complete object).
    /// </summary>
    public bool Mask(Span<float> logits)
    {
        bool any;
        state.Rewind();
        if (state.BetweenStringCharacters)
        {
            vocabulary.Plain.CopyTo(allowed, 0);
            any = Walk(vocabulary.Others) | vocabulary.AnyPlain;
        }
        else
        {
            Array.Clear(allowed);
            any = Walk(vocabulary.All);
        }
        for (int w = 0; w < allowed.Length; w++)
        {
            ulong bits = allowed[w];
            if (bits == ulong.MaxValue) continue;
            int stop = Math.Min(logits.Length, (w + 1) * 64);
            if (bits == 0)
            {
                logits[(w * 64)..stop].Fill(float.NegativeInfinity); // most words outside strings
                continue;
            }
            for (int id = w * 64; id < stop; id++)
            {
                if ((bits >> id & 1) == 0) logits[id] = float.NegativeInfinity;
            }
        }
        return any;
    }

    // Marks in `allowed` the tokens of the trie the automaton takes from the current state, skipping the subtree of
    // every byte it refuses; whether it marked any.
    private bool Walk(TokenTrie trie)
    {
        var labels = trie.Labels;
        var depths = trie.Depths;
        var next = trie.Next;
        var first = trie.First;
        var end = trie.End;
        var ids = trie.Ids;
        states[0] = state;
        bool any = false;
        for (int i = 0; i < labels.Length;)
        {
            var s = states[depths[i] - 1];
            if (!s.TryAdvance(labels[i]))
            {
                i = next[i];
                continue;
            }
            states[depths[i]] = s;
            for (int k = first[i]; k < end[i]; k++)
            {
                int id = ids[k];
                allowed[id >> 6] |= 1UL << id;
                any = true;
            }
            i++;
        }
        return any;
    }

    /// <summary>
    /// Moves past token <paramref name="id"/>, one <see cref="Mask"/> let through; returns whether the value is now
    /// complete. A token it refuses is a bug of the caller (<see cref="InvalidOperationException"/>).
    /// </summary>
    public bool Accept(int id)
    {
        var all = vocabulary.All.Bytes;
        var bytes = id < all.Count ? all[id] : [];
        state.Rewind();
        if (bytes.Length == 0 || !state.Advance(bytes))
            throw new InvalidOperationException($"token {id} does not continue the JSON text: it was not masked");
        state.Rewind();
        return state.Complete;
    }
}
