using System.Text;
using System.Text.RegularExpressions;
using Skald.Tensors;

namespace Skald.Training.Data;

/// <summary>
/// TSDAE's noise (sentence-transformers' <c>DenoisingAutoEncoderDataset.delete</c>): the text split into words, each
/// word kept with probability 1 − ratio (one drawn at random is kept when none would be), the kept words joined again.
/// Upstream splits with nltk's word_tokenize and joins with its TreebankWordDetokenizer; here a word is a run of
/// letters and digits (with inner hyphens and apostrophes: "e-post", "Jan's") or one punctuation mark, and marks
/// such as <c>, . ! ? ) »</c> attach to the word before them, <c>( « "</c> opening ones to the word after.
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/datasets/DenoisingAutoEncoderDataset.py
/// </summary>
public static partial class WordDeletion
{
    [GeneratedRegex(@"[\p{L}\p{N}_]+(?:['’\-][\p{L}\p{N}_]+)*|[^\s\p{L}\p{N}_]")]
    private static partial Regex Word();

    /// <summary>The words of <paramref name="text"/> as the noise counts them.</summary>
    public static IReadOnlyList<string> Words(string text) => [.. Word().Matches(text).Select(m => m.Value)];

    /// <summary><paramref name="text"/> with each word deleted with probability <paramref name="ratio"/> (draws from <paramref name="random"/>, one per word, in order).</summary>
    public static string Delete(string text, double ratio, SkaldRandom random)
    {
        ArgumentNullException.ThrowIfNull(text);
        var words = Words(text);
        if (words.Count == 0) return text;
        var keep = new bool[words.Count];
        bool any = false;
        for (int i = 0; i < keep.Length; i++) any |= keep[i] = random.NextDouble() > ratio;
        if (!any) keep[random.Next(keep.Length)] = true;
        return Join(words.Where((_, i) => keep[i]));
    }

    /// <summary>Words joined with spaces, closing punctuation against the word before it and opening punctuation against the word after.</summary>
    public static string Join(IEnumerable<string> words)
    {
        var sb = new StringBuilder();
        bool glueNext = false;
        foreach (var w in words)
        {
            bool closing = w.Length == 1 && ",.;:!?%)]}»”…".Contains(w[0]);
            if (sb.Length > 0 && !closing && !glueNext) sb.Append(' ');
            sb.Append(w);
            glueNext = w.Length == 1 && "([{«“".Contains(w[0]);
        }
        return sb.ToString();
    }
}
