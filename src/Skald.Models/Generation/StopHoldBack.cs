namespace Skald.Models.Generation;

/// <summary>How much of a streamed answer may be sent while stop sequences could still cut it (<see cref="SkaldChatClient"/>).</summary>
internal static class StopHoldBack
{
    /// <summary>
    /// How much of the text may be sent: not where a stop sequence already begins (the generator is about to cut it
    /// there), nor the last <paramref name="holdBack"/> characters, which could still become the start of one.
    /// </summary>
    public static int StopFree(System.Text.StringBuilder text, IReadOnlyList<string> stops, int holdBack)
    {
        int end = text.Length - holdBack;
        if (stops.Count == 0) return end;
        string all = text.ToString();
        foreach (string stop in stops)
        {
            int at = all.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0) end = Math.Min(end, at);
        }
        return end;
    }

    /// <summary><paramref name="end"/>, moved back so as not to split a surrogate pair.</summary>
    public static int SafeEnd(System.Text.StringBuilder text, int end)
    {
        if (end <= 0) return 0;
        return char.IsHighSurrogate(text[end - 1]) ? end - 1 : end;
    }
}
