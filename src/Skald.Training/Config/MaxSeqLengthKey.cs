namespace Skald.Training.Config;

/// <summary>
/// Where <c>model.max_seq_length</c> (<see cref="ModelSection.MaxSeqLength"/>) applies: models whose texts are cut at
/// one length, as sentence-transformers' <c>max_seq_length</c> cuts them (a cross-encoder's pairs too, as its
/// <c>CrossEncoder(max_length=N)</c> does, saved as the tokenizer's <c>model_max_length</c>). Model kinds with lengths of their own are
/// refused in one line naming the key that sets theirs; the model's position limit is checked once it is loaded
/// (<see cref="Trainer.TrainingRun"/>).
/// </summary>
internal static class MaxSeqLengthKey
{
    private const string Colbert = "a ColBERT cuts queries and documents at model.query_length and model.document_length, as PyLate's ColBERT does";

    /// <summary>Refuses <c>model.max_seq_length</c> where it would not be the length the texts are cut at.</summary>
    public static void Check(SectionReader m, ModelSection model, LossSection loss)
    {
        if (model.MaxSeqLength is null) return;
        string? why = model.Type switch
        {
            "static" => "a static model reads every token of a text (StaticEmbedding has no max_seq_length)",
            "colbert" => Colbert,
            _ => loss.Type switch
            {
                "colbert_contrastive" or "colbert_distillation" => Colbert,
                "bge_m3" => "loss.type bge_m3 cuts queries and passages at loss.query_max_len and loss.passage_max_len, as FlagEmbedding does",
                "causal_lm" => "causal-LM fine-tuning cuts its sequences at loss.max_seq_length",
                _ => null,
            },
        };
        if (why is not null) throw new TrainingException($"{m.Where("max_seq_length")}: model.max_seq_length: {why}");
    }
}
