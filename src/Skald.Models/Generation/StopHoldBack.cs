namespace Skald.Models.Generation;

/// <summary>
/// How much of a streamed answer may be sent while stop sequences could still cut it (<see cref="SkaldChatClient"/>):
/// one per stream, over its text as it grows (only appended to). Each call searches only where a stop sequence could
/// end in the text appended since the last, into a buffer kept between calls: nothing is allocated per streamed token
/// once the buffer holds the longest appended piece.
/// </summary>
internal sealed class StopHoldBack
{
    private readonly IReadOnlyList<string> stops;
    private readonly int holdBack; // the longest stop sequence less one: characters that could still begin one
    private char[] buffer = [];
    private int searched;          // text length the last call searched
    private int first = int.MaxValue; // where the first stop sequence found so far begins

    /// <summary>A hold-back for a stream cut by <paramref name="stops"/> (none: nothing is held back).</summary>
    public StopHoldBack(IReadOnlyList<string> stops)
    {
        this.stops = stops;
        holdBack = stops.Count == 0 ? 0 : stops.Max(s => s.Length) - 1;
    }

    /// <summary>
    /// How much of <paramref name="text"/> may be sent: not where a stop sequence already begins (the generator is about
    /// to cut it there), nor its last characters that could still become the start of one.
    /// </summary>
    public int StopFree(System.Text.StringBuilder text)
    {
        int end = text.Length - holdBack;
        if (stops.Count == 0) return end;
        int from = Math.Max(0, searched - holdBack), n = text.Length - from; // an occurrence ending in the new text
        if (buffer.Length < n) buffer = new char[Math.Max(n, 2 * buffer.Length)];
        text.CopyTo(from, buffer, 0, n);
        var span = buffer.AsSpan(0, n);
        for (int s = 0; s < stops.Count; s++) // (not foreach: an IReadOnlyList's enumerator is an allocation)
        {
            int at = span.IndexOf(stops[s], StringComparison.Ordinal);
            if (at >= 0) first = Math.Min(first, from + at);
        }
        searched = text.Length;
        return Math.Min(end, first);
    }

    /// <summary><paramref name="end"/>, moved back so as not to split a surrogate pair.</summary>
    public static int SafeEnd(System.Text.StringBuilder text, int end)
    {
        if (end <= 0) return 0;
        return char.IsHighSurrogate(text[end - 1]) ? end - 1 : end;
    }
}
