using Skald.Models.Checkpoints;

namespace Skald.Models.Architectures;

/// <summary>
/// XLM-RoBERTa (multilingual-e5, bge-m3, paraphrase-multilingual-*), following
/// https://github.com/huggingface/transformers/blob/main/src/transformers/models/xlm_roberta/modeling_xlm_roberta.py:
/// the BERT encoder with position ids counted from the padding index (create_position_ids_from_input_ids):
/// a real token at index t gets padding_idx + 1 + (number of non-pad tokens up to and including t) - 1, a pad token
/// gets padding_idx.
/// </summary>
public static class XlmRoberta
{
    /// <summary>Loads an XLM-R / RoBERTa folder (config.json + safetensors, optional <c>roberta.</c> key prefix).</summary>
    public static BertModel Load(string folder)
    {
        var config = TransformerConfig.Load(Path.Combine(folder, "config.json"));
        using var weights = Checkpoint.OpenFolder(folder, "roberta.", "xlm_roberta.");
        return new BertModel(config, weights, positionIdsFromPadding: true);
    }

    /// <summary>Position id of token <paramref name="t"/> in one row of ids.</summary>
    public static int PositionId(ReadOnlySpan<int> rowIds, int t, int paddingIdx)
    {
        if (rowIds[t] == paddingIdx) return paddingIdx;
        int count = 0;
        for (int i = 0; i <= t; i++)
        {
            if (rowIds[i] != paddingIdx) count++;
        }
        return paddingIdx + count;
    }
}
