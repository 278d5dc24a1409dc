using System.Text;

namespace Skald.Models.Generation;

/// <summary>
/// Finds a row's stop strings in its text as its tokens arrive, without decoding the text: each new token's UTF-8 bytes
/// go after a tail of the text's last bytes (the longest stop string's length less one) and only a match that ends in
/// the new bytes is looked for, so a stop string across several tokens, or a character split between two, is found at
/// the token that completes it. The text is the concatenation of the tokens' bytes (as <c>Tokenizer.TokenBytes</c>
/// gives them: none for a special token). Nothing is allocated per token.
/// </summary>
internal sealed class StopMatcher
{
    private readonly byte[][] stops;
    private readonly byte[] window; // the tail, then new bytes
    private readonly int keep;      // tail kept between pushes: the longest stop's bytes − 1
    private int tail;

    /// <summary>A matcher of <paramref name="stopStrings"/> (at least one, none empty).</summary>
    public StopMatcher(IReadOnlyList<string> stopStrings)
    {
        if (stopStrings.Count == 0 || stopStrings.Any(string.IsNullOrEmpty)) throw new ArgumentException("stop strings are non-empty, and at least one");
        stops = [.. stopStrings.Select(Encoding.UTF8.GetBytes)];
        keep = stops.Max(s => s.Length) - 1;
        window = new byte[keep + 256];
    }

    /// <summary>Appends the bytes of a new token; whether a stop string ends in them.</summary>
    public bool Push(ReadOnlySpan<byte> token)
    {
        bool found = false;
        while (token.Length > 0) // a token longer than the window's free part goes in pieces
        {
            int n = Math.Min(token.Length, window.Length - tail);
            token[..n].CopyTo(window.AsSpan(tail));
            int end = tail + n;
            foreach (var stop in stops)
            {
                int from = Math.Max(0, tail - stop.Length + 1); // matches ending in the new bytes only
                if (window.AsSpan(from, end - from).IndexOf(stop) >= 0) found = true;
            }
            int kept = Math.Min(keep, end);
            window.AsSpan(end - kept, kept).CopyTo(window);
            tail = kept;
            token = token[n..];
        }
        return found;
    }
}
