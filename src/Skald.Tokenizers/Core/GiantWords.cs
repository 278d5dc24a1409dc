using System.Buffers;

namespace Skald.Tokenizers.Core;

/// <summary>
/// WordPiece's giant words read in part: a run of word characters (<see cref="CutTable.WordChars"/>: ASCII letters and
/// digits, and the Latin, Greek and Cyrillic letters the pipeline keeps so, 5 MB of "ø" say) far longer than
/// max_input_chars_per_word is one unknown token whatever its middle holds, so bounded truncation tokenizes a copy of the text with the middle of
/// each such run left out and moves the offsets after it back to the whole text's.
/// <para>
/// The argument: the pipeline keeps such runs whole (<see cref="CutTable.WordChars"/>: every pair of word characters
/// stays in one piece, each character one normalized character, all of the BMP), so the piece holding the run holds all of it,
/// and what the normalizer and pre-tokenizer make of the text around the run depends only on the characters beside it,
/// which are kept (<see cref="Margin"/> of them on each side). The shortened run still has more than
/// max_input_chars_per_word characters, so its piece is one unknown token in both texts, spanning the same characters;
/// every other piece is the same string. An added token match reaching into the left-out middle would lie inside the
/// run, and none is word characters only, so the matches are the same too. The left-out middle has as many UTF-16
/// units as code points, so the offsets move by its length.
/// </para>
/// </summary>
internal sealed class GiantWords
{
    private readonly SearchValues<char> _word;

    /// <summary>
    /// Creates the compactor of a WordPiece model of <paramref name="maxChars"/> whose longest added token is
    /// <paramref name="longestAdded"/> long, for runs of <paramref name="wordChars"/>.
    /// </summary>
    public GiantWords(int maxChars, int longestAdded, string wordChars)
    {
        Margin = maxChars + longestAdded + 2;
        _word = SearchValues.Create(wordChars);
    }

    /// <summary>Characters kept at each end of a shortened run: past max_input_chars_per_word together, and past any added token.</summary>
    public int Margin { get; }

    /// <summary>
    /// The text with the middle of every run longer than four margins left out, or null when it has none;
    /// <paramref name="cuts"/> lists, in order, where each left-out part began in the copy and how long it was.
    /// </summary>
    public string? Compact(string text, List<(int At, int Length)> cuts)
    {
        cuts.Clear();
        int min = 4 * Margin;
        System.Text.StringBuilder? sb = null;
        int copied = 0;
        int i = 0;
        while (i < text.Length)
        {
            int s = text.AsSpan(i).IndexOfAny(_word);
            if (s < 0) break;
            s += i;
            int e = text.AsSpan(s).IndexOfAnyExcept(_word);
            e = e < 0 ? text.Length : s + e;
            if (e - s > min)
            {
                sb ??= new System.Text.StringBuilder(text.Length < 1 << 20 ? text.Length : 1 << 16);
                sb.Append(text, copied, s + Margin - copied);
                cuts.Add((sb.Length, e - s - 2 * Margin));
                copied = e - Margin;
            }
            i = e;
        }
        if (sb is null) return null;
        sb.Append(text, copied, text.Length - copied);
        return sb.ToString();
    }

    /// <summary>Moves <paramref name="enc"/>'s offsets from the compacted copy to the text (see <see cref="Compact"/>).</summary>
    public static void Restore(RawEncoding enc, List<(int At, int Length)> cuts)
    {
        for (int k = 0; k < enc.Count; k++)
        {
            var (s, e) = enc.Offsets[k];
            enc.Offsets[k] = (Move(s, cuts), Move(e, cuts));
        }
    }

    /// <summary>A position of the copy in the text: past a left-out part's place, that part's length is added.</summary>
    private static int Move(int at, List<(int At, int Length)> cuts)
    {
        int by = 0;
        foreach (var (place, length) in cuts)
        {
            if (at <= place) break;
            by += length;
        }
        return at + by;
    }
}
