using System.Text.Json.Nodes;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Tests;

/// <summary>
/// A normalizer that writes whitespace for a letter (a Replace "q" → " " before SentencePiece's Replace " " → "▁")
/// makes the letters beside a space cut part of one run of markers, which BPE merges differently at the end of a
/// prefix than in the whole text: such a pipeline is not cut on either side.
/// </summary>
public sealed class LetterBecomingSpaceTests
{
    /// <summary>
    /// Vocabulary: one 83-letter word (U+0100.. chained by merges) and marker runs merged "▁ ▁", then "▁▁ ▁", then
    /// "▁▁ ▁▁▁": six markers give ▁▁ ▁▁ ▁▁, seven give ▁▁ ▁▁▁▁▁. The text is the word, "qqqq q a" and more words:
    /// the first prefix (88 characters for max_length 3) is cut at the space before "a" (index 89) with the margin at
    /// the space before it (87), where the prefix's third token ▁▁ ends; the whole text's third token runs to 90.
    /// </summary>
    [Fact]
    public void AReplaceWritingASpaceForALetterIsNotCut()
    {
        var word = new string(Enumerable.Range(0, 83).Select(i => (char)(0x100 + i)).ToArray());
        var vocab = new JsonObject { ["\u2581"] = 0, ["a"] = 1 };
        var merges = new JsonArray("\u2581 \u2581", "\u2581\u2581 \u2581", "\u2581\u2581 \u2581\u2581\u2581");
        foreach (var t in new[] { "\u2581\u2581", "\u2581\u2581\u2581", "\u2581\u2581\u2581\u2581\u2581" }) vocab[t] = vocab.Count;
        for (int i = 0; i < word.Length; i++)
        {
            vocab[word[i].ToString()] = vocab.Count;
            if (i == 0) continue;
            merges.Add(word[..i] + " " + word[i]);
            vocab[word[..(i + 1)]] = vocab.Count;
        }
        string json = """{"added_tokens":[],"normalizer":{"type":"Sequence","normalizers":[{"type":"Replace","pattern":{"String":"q"},"content":" "},{"type":"Replace","pattern":{"String":" "},"content":"\u2581"}]},"pre_tokenizer":null,"post_processor":null,"model":{"type":"BPE","vocab":VOCAB,"merges":MERGES}}"""
            .Replace("VOCAB", vocab.ToJsonString()).Replace("MERGES", merges.ToJsonString());
        var tok = Tokenizer.FromJson(json);
        string text = word + "qqqq q a" + string.Concat(Enumerable.Repeat(" a", 40));

        var got = tok.Encode(text, 3, TruncationDirection.Right);

        // The whole text by hand: the word, then the run of seven markers (83..90) as ▁▁ and ▁▁▁▁▁.
        Assert.Equal([word, "\u2581\u2581", "\u2581\u2581\u2581\u2581\u2581"], got.Tokens);
        Assert.Equal([(0, 83), (83, 85), (85, 90)], got.Offsets);
        Assert.True(got.Truncated);
        var whole = tok.Encode(text, new TruncationOptions(3));
        Assert.Equal(whole.Tokens, got.Tokens);
        Assert.Equal(PrefixMode.None, tok.PrefixMode);
    }
}
