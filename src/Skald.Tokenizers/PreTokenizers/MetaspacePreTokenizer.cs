using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.PreTokenizers;

/// <summary>HF's Metaspace pre-tokenizer: ' ' becomes the replacement, optional prefix, split before each replacement.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/pre_tokenizers/metaspace.rs</remarks>
internal sealed record MetaspacePreTokenizer(string Replacement, PrependScheme Scheme, bool SplitPieces) : IPreTokenizer
{
    private readonly int _replacementCp = char.ConvertToUtf32(Replacement, 0);

    /// <inheritdoc/>
    public void PreTokenize(PreTokenizedString pts)
    {
        pts.Split(ns =>
        {
            var spaces = new List<(int, int)>();
            var span = ns.Span;
            for (int i = 0; i < span.Length; i++)
                if (span[i] == ' ') spaces.Add((i, i + 1));
            ns.Replace(spaces, Replacement);
            bool startsWith = ns.Span.StartsWith(Replacement.AsSpan(), StringComparison.Ordinal);
            bool prepend = Scheme switch
            {
                PrependScheme.Always => !startsWith,
                PrependScheme.First => !startsWith && ns.OriginalStart == 0,
                _ => false,
            };
            if (prepend) ns.Prepend(Replacement);
            if (!SplitPieces) return [new Split(ns)];
            int rep = _replacementCp;
            return Splitting.Split(ns, Splitting.FindChars(ns, cp => cp == rep), SplitBehavior.MergedWithNext).Select(p => new Split(p));
        });
    }
}
