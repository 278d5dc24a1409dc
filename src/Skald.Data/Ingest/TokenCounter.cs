using Skald.Tokenizers;

namespace Skald.Data.Ingest;

/// <summary>How chunk lengths are measured: tokens of a model's tokenizer (no special tokens) or, without one, words.</summary>
public sealed class TokenCounter
{
    private readonly Func<string, int> count;

    private TokenCounter(string name, Func<string, int> count)
    {
        Name = name;
        this.count = count;
    }

    /// <summary>What is counted ("tokens of FILE" or "words").</summary>
    public string Name { get; }

    /// <summary>Whitespace-separated words.</summary>
    public static TokenCounter Words { get; } = new("words", CountWords);

    /// <summary>Tokens of <paramref name="tokenizer"/>, without special tokens.</summary>
    public static TokenCounter For(Tokenizer tokenizer, string name) =>
        new($"tokens of {name}", text => tokenizer.Encode(text, addSpecialTokens: false).Ids.Length);

    /// <summary>The length of <paramref name="text"/>.</summary>
    public int Count(string text) => text.Length == 0 ? 0 : count(text);

    /// <summary>Whitespace-separated words of <paramref name="text"/>.</summary>
    public static int CountWords(string text)
    {
        int n = 0;
        bool inWord = false;
        foreach (char c in text)
        {
            bool ws = char.IsWhiteSpace(c);
            if (!ws && !inWord) n++;
            inWord = !ws;
        }
        return n;
    }
}
