using Skald.Data.Languages;

namespace Skald.Data.Tests;

/// <summary>
/// <see cref="LanguageGuesser"/> on the shared UD sentences it was not tuned on (the odd lines of
/// <c>../shared/data/text/ud-*.txt</c>; the Swedish cues of 2026-12-07 were chosen on the even lines and SIB-200 train):
/// the right guesses per language are those of <c>scripts/bm25_fields/compare.py --guesser-split</c>, a Python
/// restatement of the guesser, so the two also agree on every one of them.
/// </summary>
public sealed class LanguageGuesserHeldOutTests
{
    [SharedTextFact]
    public void ShortSwedishSentencesAreSwedishAndNoNorwegianOrDanishOnesAreLost()
    {
        // before the Swedish cues, at most 10 words: da 106 of 196, nb 652 of 947, nn 304 of 643, sv 212 of 281
        // (29 taken for Bokmål, 12 for Nynorsk, 8 for Danish); every length: da 419, nb 1789, nn 1193, sv 762
        var (right, total) = Count(maxWords: 10);
        Assert.Equal([196, 947, 643, 281], total);
        Assert.Equal([106, 660, 306, 249], right);
        (right, total) = Count(maxWords: int.MaxValue);
        Assert.Equal([564, 2174, 1700, 861], total);
        Assert.Equal([420, 1810, 1196, 828], right);
    }

    private static (int[] Right, int[] Total) Count(int maxWords)
    {
        string[] languages = ["da", "nb", "nn", "sv"];
        int[] right = new int[4], total = new int[4];
        for (int l = 0; l < languages.Length; l++)
        {
            var held = File.ReadLines(Path.Combine(SharedTextFactAttribute.Folder, $"ud-{languages[l]}.txt"))
                .Select(line => line.Trim()).Where((line, i) => i % 2 == 1 && line.Length > 0)
                .Where(line => line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length <= maxWords);
            foreach (string sentence in held)
            {
                total[l]++;
                if (LanguageGuesser.Guess(sentence) == languages[l]) right[l]++;
            }
        }
        return (right, total);
    }
}
