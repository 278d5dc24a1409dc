namespace Skald.Models.Generation;

/// <summary>
/// One row of a batch <see cref="Generator"/> decodes: its prompt and options, the tokens chosen so far, its decoded
/// text (kept while it has stop strings and no token bytes; decoded when one is found otherwise), their log-probabilities when asked for, its JSON constraint if any, and why it
/// stopped once it has.
/// </summary>
internal sealed class DecodingRow
{
    /// <summary>
    /// A row continuing <paramref name="prompt"/> with <paramref name="options"/> for at most <paramref name="max"/> new
    /// tokens (<paramref name="joined"/>: it joined a running batch). With <paramref name="tokenBytes"/> (each id's bytes of
    /// the text, as the generator's decode makes it) its stop strings are looked for incrementally
    /// (<see cref="StopMatcher"/>), unless its options decode their own way or a stop string holds U+FFFD.
    /// </summary>
    public DecodingRow(IReadOnlyList<int> prompt, GenerationOptions options, int max, bool joined, IReadOnlyList<byte[]>? tokenBytes = null)
    {
        Prompt = prompt;
        Options = options;
        Max = max;
        Joined = joined;
        MaxStop = options.StopStrings.Count == 0 ? 0 : options.StopStrings.Max(s => s.Length);
        Generated = new List<int>(max);
        LogProbs = options.LogProbs is null ? null : new List<TokenLogProbs>(max);
        // (a stop string holding U+FFFD may match where invalid UTF-8 decodes to it, which the bytes never show)
        if (MaxStop > 0 && tokenBytes is not null && options.Decode is null && !options.StopStrings.Any(s => s.Contains('\uFFFD')))
            (matcher, this.tokenBytes) = (new StopMatcher(options.StopStrings), tokenBytes);
    }

    private readonly StopMatcher? matcher;
    private readonly IReadOnlyList<byte[]>? tokenBytes;

    /// <summary>The prompt's ids.</summary>
    public IReadOnlyList<int> Prompt { get; }

    /// <summary>Its options.</summary>
    public GenerationOptions Options { get; }

    /// <summary>Most new tokens.</summary>
    public int Max { get; }

    /// <summary>Whether it joined a running batch (it is reported through the finished callback only).</summary>
    public bool Joined { get; }

    /// <summary>Longest stop string (0: none).</summary>
    public int MaxStop { get; }

    /// <summary>The new ids so far.</summary>
    public List<int> Generated { get; }

    /// <summary>The log-probabilities of the new ids so far, when its options ask for them (null otherwise).</summary>
    public List<TokenLogProbs>? LogProbs { get; }

    /// <summary>The new ids decoded, as of the last stop-string check (null before the first).</summary>
    public string? Text { get; set; }

    /// <summary>Where a stop string cut the text.</summary>
    public int Cut { get; set; }

    /// <summary>Its JSON constraint (<see cref="OutputFormat.JsonObject"/>, <see cref="OutputFormat.JsonSchema"/>); null for free text.</summary>
    public ITokenConstraint? Json { get; init; }

    /// <summary>Why it stopped; null while it decodes.</summary>
    public FinishReason? Reason { get; set; }

    /// <summary>
    /// The first stop string's index in its decoded text (<see cref="Text"/>, decoded afresh with its options'
    /// <see cref="GenerationOptions.Decode"/>, else <paramref name="decode"/>), or −1, once its last token is added. With
    /// token bytes the new token's bytes are matched against the text's tail (<see cref="StopMatcher"/>), and the text is
    /// decoded only when a stop string ends in them, to place the cut; else the text is decoded every token and only the
    /// tail a new token can complete is searched.
    /// </summary>
    public int StopsAt(Func<IReadOnlyList<int>, string> decode)
    {
        if (matcher is not null)
        {
            int id = Generated[^1];
            if (!matcher.Push(id >= 0 && id < tokenBytes!.Count ? tokenBytes[id] : [])) return -1;
            Text = null; // no stop string ended before this token: the whole text is searched
        }
        int before = Text?.Length ?? 0;
        string text = Text = (Options.Decode ?? decode)(Generated);
        int from = Math.Max(0, Math.Min(before, text.Length) - MaxStop);
        int best = -1;
        foreach (var s in Options.StopStrings)
        {
            int i = text.IndexOf(s, from, StringComparison.Ordinal);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    /// <summary>Its result: the ids so far and their text (cut before the stop string that ended it).</summary>
    public GenerationResult Result(Func<IReadOnlyList<int>, string> decode)
    {
        var reason = Reason ?? FinishReason.Length;
        string text = reason == FinishReason.Stop ? Text![..Cut] : (Options.Decode ?? decode)(Generated);
        return new GenerationResult([.. Generated], text, reason, Prompt.Count, LogProbs?.ToArray());
    }
}
