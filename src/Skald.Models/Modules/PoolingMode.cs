namespace Skald.Models.Modules;

/// <summary>Pooling strategies of sentence-transformers' Pooling module, in the order it concatenates them.</summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/v5.1.0/sentence_transformers/models/Pooling.py</remarks>
[Flags]
public enum PoolingMode
{
    /// <summary>No pooling selected.</summary>
    None = 0,
    /// <summary>First token ([CLS] / &lt;s&gt;).</summary>
    Cls = 1,
    /// <summary>Element-wise maximum over real tokens.</summary>
    Max = 2,
    /// <summary>Mean over real tokens.</summary>
    Mean = 4,
    /// <summary>Sum over real tokens divided by √(token count).</summary>
    MeanSqrtLen = 8,
    /// <summary>Mean weighted by position (1, 2, ..., T).</summary>
    WeightedMean = 16,
    /// <summary>Last real token.</summary>
    LastToken = 32,
}
