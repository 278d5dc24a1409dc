using Skald.Models.Architectures;
using Skald.Tensors;

namespace Skald.Training.Losses;

/// <summary>
/// The masking of transformers' <c>DataCollatorForLanguageModeling</c>, shared by masked-LM and MNTP: each non-special
/// token is selected with probability p; a selected token becomes the mask token (80%), a random token (10%) or stays
/// (10%) — or always the mask token with <c>allMask</c> (LLM2Vec's second collator). Draws come from the given
/// generator (the model's, checkpointed), in token order.
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/transformers/blob/v4.56.1/src/transformers/data/data_collator.py</remarks>
internal static class TokenMasking
{
    /// <summary>Corrupts <paramref name="tokens"/>' ids in place; returns the original id of each selected position (−1 elsewhere).</summary>
    public static int[] Apply(IReadOnlyList<Tokenizers.Encoding> encodings, TokenBatch tokens, SkaldRandom random, float probability,
        int maskId, int vocab, bool allMask, out int selected)
    {
        int[] ids = tokens.Ids;
        var targets = new int[tokens.Count];
        Array.Fill(targets, -1);
        selected = 0;
        for (int b = 0; b < tokens.Batch; b++)
        {
            var special = encodings[b].SpecialTokensMask;
            int length = encodings[b].Ids.Length;
            int offset = tokens.Mask[b * tokens.Seq] == 0 ? tokens.Seq - length : 0; // left padding puts the text last
            for (int t = 0; t < length; t++)
            {
                if (special[t] != 0 || random.NextDouble() >= probability) continue;
                int i = b * tokens.Seq + offset + t;
                targets[i] = ids[i];
                selected++;
                double r = allMask ? 0 : random.NextDouble();
                if (r < 0.8) ids[i] = maskId;
                else if (r < 0.9) ids[i] = random.Next(vocab);
            }
        }
        return targets;
    }
}
