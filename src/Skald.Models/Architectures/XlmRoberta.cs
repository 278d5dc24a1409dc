namespace Skald.Models.Architectures;

/// <summary>
/// XLM-RoBERTa / RoBERTa / CamemBERT (multilingual-e5, bge-m3, paraphrase-multilingual-*): the BERT encoder
/// (<see cref="BertModel"/>) with position ids counted from the padding index, as transformers'
/// create_position_ids_from_input_ids
/// (https://github.com/huggingface/transformers/blob/v4.46.3/src/transformers/models/xlm_roberta/modeling_xlm_roberta.py):
/// a real token at index t gets padding_idx + (number of non-pad tokens up to and including t), a pad token gets
/// padding_idx. Registered in <see cref="ArchitectureRegistry"/> with the key prefixes <c>roberta.</c> / <c>xlm_roberta.</c>.
/// </summary>
public static class XlmRoberta
{
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
