namespace Skald.Models.Generation;

/// <summary>
/// One row of a batch <see cref="Generator"/> decodes: its prompt and options, the tokens chosen so far, its decoded
/// text (kept while it has stop strings), their log-probabilities when asked for, its JSON constraint if any, and why it
/// stopped once it has.
/// </summary>
internal sealed class DecodingRow
{
    /// <summary>
    /// A row continuing <paramref name="prompt"/> with <paramref name="options"/> for at most <paramref name="max"/> new
    /// tokens (<paramref name="joined"/>: it joined a running batch).
    /// </summary>
    public DecodingRow(IReadOnlyList<int> prompt, GenerationOptions options, int max, bool joined)
    {
        Prompt = prompt;
        Options = options;
        Max = max;
        Joined = joined;
        MaxStop = options.StopStrings.Count == 0 ? 0 : options.StopStrings.Max(s => s.Length);
        Generated = new List<int>(max);
        LogProbs = options.LogProbs is null ? null : new List<TokenLogProbs>(max);
    }

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
    /// <see cref="GenerationOptions.Decode"/>, else <paramref name="decode"/>), or −1; only the tail a new token can complete is searched.
    /// </summary>
    public int StopsAt(Func<IReadOnlyList<int>, string> decode)
    {
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
