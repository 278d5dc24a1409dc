using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Processors;

/// <summary>HF's TemplateProcessing.</summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/processors/template.rs</remarks>
internal sealed record TemplateProcessing(
    IReadOnlyList<TemplatePiece> Single,
    IReadOnlyList<TemplatePiece> Pair,
    IReadOnlyDictionary<string, (int[] Ids, string[] Tokens)> SpecialTokens) : IPostProcessor
{
    /// <inheritdoc/>
    public int AddedTokens(bool isPair) =>
        (isPair ? Pair : Single).Where(p => !p.IsSequence).Sum(p => SpecialTokens[p.Id].Ids.Length);

    /// <inheritdoc/>
    public List<RawEncoding> ProcessEncodings(List<RawEncoding> encodings, bool addSpecialTokens)
    {
        var result = new List<RawEncoding>();
        foreach (var piece in encodings.Count > 1 ? Pair : Single)
        {
            if (piece.IsSequence)
            {
                int i = piece.Id == "A" ? 0 : 1;
                if (i >= encodings.Count) continue;
                var seq = encodings[i].Clone();
                seq.SetTypeIds(piece.TypeId);
                result.Add(seq);
            }
            else if (addSpecialTokens)
            {
                var (ids, tokens) = SpecialTokens[piece.Id];
                result.Add(DefaultProcessing.Special(ids, tokens, piece.TypeId));
            }
        }
        return result;
    }
}
