namespace Skald.Tokenizers.Core;

/// <summary>The input split into pieces, mirroring HF's PreTokenizedString.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/tokenizer/pre_tokenizer.rs</remarks>
internal sealed class PreTokenizedString
{
    /// <summary>Starts with the whole text as one piece.</summary>
    public PreTokenizedString(string text)
    {
        Original = text;
        Splits = [new Split(new NormalizedString(text))];
    }

    /// <summary>The whole original text.</summary>
    public string Original { get; }

    /// <summary>Current pieces, in order.</summary>
    public List<Split> Splits { get; private set; }

    /// <summary>
    /// Replaces every not yet tokenized piece by the pieces <paramref name="splitter"/> returns
    /// (empty pieces are dropped, as HF does). Tokenized pieces are kept as they are.
    /// </summary>
    public void Split(Func<NormalizedString, IEnumerable<Split>> splitter)
    {
        var result = new List<Split>(Splits.Count * 2);
        foreach (var split in Splits)
        {
            if (split.Tokens is not null)
            {
                result.Add(split);
                continue;
            }
            foreach (var piece in splitter(split.Normalized))
                if (piece.Normalized.Length > 0) result.Add(piece);
        }
        Splits = result;
    }

    /// <summary>Rewrites every not yet tokenized piece in place (HF's PreTokenizedString::normalize).</summary>
    public void NormalizeEach(Action<NormalizedString> action)
    {
        foreach (var split in Splits)
            if (split.Tokens is null) action(split.Normalized);
    }

    /// <summary>Splits every untokenized piece with a pattern, see <see cref="Splitting.Split"/>.</summary>
    public void SplitPieces(Func<NormalizedString, List<(int Start, int End, bool IsMatch)>> pattern, SplitBehavior behavior) =>
        Split(ns => Splitting.Split(ns, pattern(ns), behavior).Select(p => new Split(p)));
}
