namespace Skald.Models.Modules;

/// <summary>
/// Pooling strategies: sentence-transformers' Pooling modes, in the order it concatenates them, plus LLM2Vec's
/// <c>weighted_mean</c>. Every mode is padding-side independent: "first" and "last" mean the first and last real
/// token whatever side the batch is padded on, and positions count from the first real token.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/v5.1.0/sentence_transformers/models/Pooling.py and
/// https://github.com/McGill-NLP/llm2vec/blob/312adcfb578b4023bfc9d3bcc83b6b87448ab059/llm2vec/llm2vec.py (get_pooling, tag 0.2.3).
/// </remarks>
[Flags]
public enum PoolingMode
{
    /// <summary>No pooling selected.</summary>
    None = 0,

    /// <summary>
    /// First real token ([CLS] / &lt;s&gt; / BOS): sentence-transformers' cls (which takes position 0, the same token
    /// when padding is on the right) and LLM2Vec's <c>bos_token</c> (the token whose id is the BOS id, the first real
    /// token when the tokenizer adds one). Never affected by prompt or instruction exclusion.
    /// </summary>
    Cls = 1,

    /// <summary>Element-wise maximum over pooled tokens.</summary>
    Max = 2,

    /// <summary>Mean over pooled tokens (sentence-transformers' mean, LLM2Vec's <c>mean</c>).</summary>
    Mean = 4,

    /// <summary>Sum over pooled tokens divided by √(pooled token count).</summary>
    MeanSqrtLen = 8,

    /// <summary>
    /// sentence-transformers' weightedmean: pooled tokens weighted by their position + 1, positions counted from the
    /// first real token (so prompt tokens left out of pooling still advance the weights).
    /// </summary>
    WeightedMean = 16,

    /// <summary>
    /// Last pooled token (sentence-transformers' lasttoken; LLM2Vec's <c>eos_token</c> and <c>last_token</c>); a zero
    /// vector when nothing is pooled, as sentence-transformers gives.
    /// </summary>
    LastToken = 32,

    /// <summary>
    /// LLM2Vec's <c>weighted_mean</c>: the pooled tokens weighted 1, 2, …, n in order (counted from the first pooled
    /// token, so an excluded instruction does not shift the weights), normalised to sum to one.
    /// </summary>
    WeightedMeanOverPooled = 64,
}
