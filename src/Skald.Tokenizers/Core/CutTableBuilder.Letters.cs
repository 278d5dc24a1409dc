using Skald.Tokenizers.Normalizers;
using Skald.Tokenizers.PreTokenizers;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Core;

/// <summary>Which letters join the word characters (<see cref="CutTable.WordChars"/>), one pair of classes of letters tried at a time.</summary>
internal static partial class CutTableBuilder
{
    /// <summary>
    /// Drops from <paramref name="kept"/> every letter not kept whole (<see cref="Inert"/>) beside each of
    /// <paramref name="words"/> and the letters still kept, itself included, on either side, last letter first, until a
    /// pass drops none. <see cref="Inert"/> reads of a letter only its character in <see cref="NormalizerAllows"/> (a
    /// Replace literal holding it; a class regex matches only symbols of the alphabet) and its image in
    /// <see cref="Rule"/> (BERT's punctuation, the Word class, punctuation, digits, the GPT class, a delimiter or split
    /// literal, a class regex), so two letters of one <see cref="Class"/> are inert beside the same characters: each
    /// pair of classes is tried once, and a letter is tried beside each class still holding a character. With
    /// <paramref name="literals"/> null every character is a class of its own (every pair tried, the reference the
    /// classes are tested against); the ASCII words always are.
    /// </summary>
    private static void Keep(INormalizer? replace, IReadOnlyList<IPreTokenizer> parts, List<(char Char, char Image)> words,
        List<(char Char, char Image)> kept, string? literals)
    {
        int n = words.Count + kept.Count;
        var all = new (char Char, char Image)[n];
        words.CopyTo(all);
        kept.CopyTo(all, words.Count);
        var classOf = new Dictionary<int, int>();
        var representative = new List<int>();
        var cls = new int[n];
        for (int i = 0; i < n; i++)
        {
            int key = literals is null || i < words.Count ? -1 - i : Class(all[i], literals);
            if (!classOf.TryGetValue(key, out cls[i]))
            {
                cls[i] = representative.Count;
                classOf.Add(key, cls[i]);
                representative.Add(i);
            }
        }
        int classes = representative.Count;
        var tried = new sbyte[classes * classes]; // 0 not yet, 1 inert, -1 not
        bool InertPair(int a, int b)
        {
            ref sbyte t = ref tried[a * classes + b];
            if (t == 0) t = Inert(replace, parts, all[representative[a]], all[representative[b]]) ? (sbyte)1 : (sbyte)-1;
            return t > 0;
        }
        var alive = new bool[n];
        Array.Fill(alive, true);
        var members = new int[classes]; // the characters of each class still kept
        foreach (int k in cls) members[k]++;
        for (bool dropped = true; dropped;)
        {
            dropped = false;
            for (int i = n - 1; i >= words.Count; i--)
            {
                if (!alive[i]) continue;
                for (int k = 0; k < classes; k++)
                {
                    if (members[k] == 0 || InertPair(cls[i], k) && InertPair(k, cls[i])) continue;
                    alive[i] = false;
                    members[cls[i]]--;
                    dropped = true;
                    break;
                }
            }
        }
        int at = 0;
        for (int i = 0; i < kept.Count; i++)
            if (alive[words.Count + i]) kept[at++] = kept[i];
        kept.RemoveRange(at, kept.Count - at);
    }

    /// <summary>
    /// The class of a letter: the facts of its image <see cref="Rule"/> reads, or a class of its own (a negative key)
    /// when its character or image is in <paramref name="literals"/> (ignoring case) or in the table's alphabet.
    /// </summary>
    private static int Class((char Char, char Image) letter, string literals)
    {
        var (c, image) = letter;
        if (literals.Contains(c, StringComparison.OrdinalIgnoreCase) || literals.Contains(image, StringComparison.OrdinalIgnoreCase)
            || CutTable.Symbol(c) >= 0 || CutTable.Symbol(image) >= 0)
            return -1 - c;
        return (BertPreTokenizer.IsBertPunctuation(image) ? 1 : 0) | (UnicodeData.Is(image, UnicodeData.Word) ? 2 : 0)
            | (PunctuationPreTokenizer.IsPunctuation(image) ? 4 : 0) | (DigitsPreTokenizer.IsNumeric(image) ? 8 : 0) | GptClass(image) << 4;
    }

    /// <summary>The Replace literals of <paramref name="normalizer"/> and the split literals and delimiters of <paramref name="parts"/>, run together.</summary>
    private static string Literals(INormalizer? normalizer, IReadOnlyList<IPreTokenizer> parts)
    {
        static IEnumerable<string> Of(INormalizer? n) => n switch
        {
            SequenceNormalizer s => s.Normalizers.SelectMany(Of),
            ReplaceNormalizer { Literal: { } lit } => [lit],
            _ => [],
        };
        return string.Concat(Of(normalizer).Concat(parts.Select(p => p switch
        {
            SplitPreTokenizer { Literal: { } lit } => lit,
            CharDelimiterSplitPreTokenizer c => char.ConvertFromUtf32(c.Delimiter),
            _ => "",
        })));
    }
}
