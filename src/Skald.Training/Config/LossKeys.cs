namespace Skald.Training.Config;

/// <summary>
/// The <c>loss</c> keys of one embedding or token-level loss (a teacher, a guide, Matryoshka widths, GradCache chunks,
/// masking, ...), each refused under a loss that does not read it: <c>matryoshka_dims</c> with <c>type: mnrl</c> or
/// <c>mini_batch_size: 8</c> without caching trained something else than the config says, without a word.
/// </summary>
internal static class LossKeys
{
    /// <summary>Throws naming the first key set for a loss that does not read it.</summary>
    /// <remarks>
    /// Keys that configs/train-example.yaml sets at their defaults for every loss (symmetric, mini_batch_size,
    /// matryoshka_inner, mask_collator) are refused only when they ask for something other than the default.
    /// </remarks>
    public static void Check(SectionReader l, LossSection loss)
    {
        string inner = loss.Type switch { "matryoshka" => loss.MatryoshkaInner, "splade" => loss.SpladeInner, "csr" => loss.CsrInner, _ => loss.Type };
        const string Gist = "GISTEmbedLoss's (loss.type: gist)", Matryoshka = "MatryoshkaLoss's (loss.type: matryoshka)";
        var owners = new (string Key, bool Set, bool Read, string Owner, string Hint)[]
        {
            ("teacher", loss.Teacher is not null, loss.Type == "mse", "MSELoss's (loss.type: mse)",
                "; margin_mse and distill_kl read a teacher's scores from the label column"),
            ("guide", loss.Guide is not null, loss.Type == "gist", Gist, ""),
            ("margin_strategy", l.Str("margin_strategy") is not null, loss.Type == "gist", Gist, ""),
            ("contrast_anchors", l.Str("contrast_anchors") is not null, loss.Type == "gist", Gist, ""),
            ("contrast_positives", l.Str("contrast_positives") is not null, loss.Type == "gist", Gist, ""),
            ("matryoshka_dims", loss.MatryoshkaDims is not null, loss.Type == "matryoshka", Matryoshka, ""),
            ("matryoshka_weights", loss.MatryoshkaWeights is not null, loss.Type == "matryoshka", Matryoshka, ""),
            ("matryoshka_inner", loss.MatryoshkaInner != "mnrl", loss.Type == "matryoshka", Matryoshka, ""),
            ("symmetric", loss.Symmetric, inner == "mnrl",
                "MultipleNegativesRankingLoss's (loss.type: mnrl, or matryoshka / splade / csr over mnrl)",
                loss.Type == "cached_mnrl" ? "; for a cached symmetric loss use loss.type: mnrl with loss.cached: true" : ""),
            ("mini_batch_size", loss.MiniBatchSize != 32, loss.Type == "cached_mnrl" || loss.Cached,
                "GradCache's rows per chunk (loss.type: cached_mnrl, or loss.cached: true)", "; add loss.cached: true to run the batch in chunks"),
            ("mask_probability", loss.MaskProbability is not null, loss.Type is "mlm" or "mntp", "the masked-LM and MNTP losses' (loss.type: mlm or mntp)", ""),
            ("mask_collator", loss.MaskCollator != "default", loss.Type == "mntp", "MNTP's (loss.type: mntp)", ""),
            ("num_labels", loss.NumLabels is not null, loss.Type is "softmax" or "bce" or "cross_entropy",
                "the classifiers' (loss.type: softmax, bce or cross_entropy)", ""),
            ("max_seq_length", loss.MaxSeqLength is not null, loss.Type == "causal_lm",
                "causal-LM fine-tuning's (loss.type: causal_lm)", "; an embedding model's is model.max_seq_length"),
        };
        foreach (var (key, set, read, owner, hint) in owners)
        {
            if (set && !read) throw new TrainingException($"{l.Where(key)}: loss.{key} is {owner}, not loss.type {loss.Type}'s{hint}");
        }
    }
}
