namespace Skald.Models.Generation;

/// <summary>
/// Pairs a streamed answer's log-probability entries with its text (<see cref="SkaldChatClient"/>): each token's entry
/// arrives before the text the token adds, which may come tokens later (a character split over tokens) or never (an
/// end-of-sequence token); an entry goes out with the piece of text that ends where, or after, its token's text ends.
/// </summary>
internal sealed class StreamedLogProbs
{
    private readonly List<TokenLogProbs> waiting = []; // entries whose tokens' text has not arrived yet
    private readonly Queue<(int End, TokenLogProbs Entry)> placed = new(); // entries with the end of their text

    /// <summary>A token's entry, before its text (if any).</summary>
    public void Add(TokenLogProbs entry) => waiting.Add(entry);

    /// <summary>Text arrived: the entries waiting end at <paramref name="end"/> (the text's length now).</summary>
    public void TextEnds(int end)
    {
        foreach (var entry in waiting) placed.Enqueue((end, entry));
        waiting.Clear();
    }

    /// <summary>The entries whose text ends within the first <paramref name="sent"/> characters, not given out before.</summary>
    public List<TokenLogProbs> Upto(int sent)
    {
        var due = new List<TokenLogProbs>();
        while (placed.Count > 0 && placed.Peek().End <= sent) due.Add(placed.Dequeue().Entry);
        return due;
    }

    /// <summary>Every entry not given out before, in order.</summary>
    public List<TokenLogProbs> Rest()
    {
        var rest = new List<TokenLogProbs>(placed.Count + waiting.Count);
        while (placed.Count > 0) rest.Add(placed.Dequeue().Entry);
        rest.AddRange(waiting);
        waiting.Clear();
        return rest;
    }
}
