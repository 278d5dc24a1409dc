using Skald.Models;
using Skald.Models.Architectures;

namespace Skald.Training.Static;

/// <summary>Settings of <see cref="StaticDistiller.Distill"/> (Model2Vec's <c>distill</c> defaults).</summary>
public sealed record StaticDistillOptions
{
    /// <summary>SIF coefficient a: row weight a / (a + p(token)); null = no weighting. Model2Vec's default 1e-4.</summary>
    public float? SifCoefficient { get; init; } = 1e-4f;

    /// <summary>
    /// Texts to estimate token probabilities p from (token counts, no special tokens; unseen tokens get p = 0, weight
    /// 1). Null: Model2Vec's Zipf estimate by vocabulary rank, p(rank r) ∝ 1 / (r + 2).
    /// </summary>
    public IReadOnlyList<string>? Corpus { get; init; }

    /// <summary>Tokens per teacher forward batch.</summary>
    public int BatchSize { get; init; } = 512;

    /// <summary>
    /// Model2Vec's input order [end, token, start] (e.g. [SEP] tok [CLS]: "reversing the bos and eos tokens works
    /// better on our benchmarks"); false gives the natural [CLS] tok [SEP].
    /// </summary>
    public bool ReverseSpecialTokens { get; init; } = true;

    /// <summary>Progress callback (tokens embedded, vocabulary size).</summary>
    public Action<int, int>? Progress { get; init; }
}
