namespace Skald.Models.Generation;

/// <summary>
/// For tests: answers a request with a given text instead of generating (<see cref="SkaldChatClient"/>'s
/// <c>Scripted</c>), so that what follows the generation (tool-call parsing, the server's answers) can be checked on a
/// text the test chooses. The text is tokenized as the model's own would be and given out token by token.
/// </summary>
internal static class ScriptedAnswers
{
    /// <summary>
    /// The answer <paramref name="script"/> gives for the prompt's text (special tokens included): its tokens, at most
    /// the request's max tokens (then the reason is <see cref="FinishReason.Length"/>), each one's text to
    /// <paramref name="onText"/> as it would stream; with log-probabilities asked for, each token has an entry (log
    /// probability 0, no alternatives) to <paramref name="onLogProbs"/> before its text.
    /// </summary>
    public static Task<GenerationResult> Run(TextGenerator generator, Func<string, string> script, int[] prompt,
        GenerationOptions options, Action<string>? onText, Action<TokenLogProbs>? onLogProbs)
    {
        var tokenizer = generator.Tokenizer;
        var decode = generator.DecoderOf(options);
        int[] ids = tokenizer.Encode(script(tokenizer.Decode(prompt, skipSpecialTokens: false)), addSpecialTokens: false).Ids;
        var reason = FinishReason.Eos;
        if (ids.Length > options.MaxNewTokens)
        {
            ids = ids[..options.MaxNewTokens];
            reason = FinishReason.Length;
        }
        string sent = ""; // a character split over tokens goes out whole, as the generator streams it
        var logProbs = options.LogProbs is null ? null : new List<TokenLogProbs>();
        for (int i = 1; i <= ids.Length; i++)
        {
            if (logProbs is not null)
            {
                var entry = new TokenLogProbs(new TokenLogProb(ids[i - 1], 0f), []);
                logProbs.Add(entry);
                onLogProbs?.Invoke(entry);
            }
            string now = decode(ids[..i]);
            if (now.EndsWith('\uFFFD') || !now.StartsWith(sent, StringComparison.Ordinal)) continue;
            if (now.Length > sent.Length) onText?.Invoke(now[sent.Length..]);
            sent = now;
        }
        string text = decode(ids);
        return Task.FromResult(new GenerationResult(ids, text, reason, prompt.Length, logProbs));
    }
}
