namespace Skald.Tokenizers.Unicode;

/// <summary>The four Unicode normalization forms.</summary>
internal enum NormalizationKind
{
    /// <summary>Canonical decomposition.</summary>
    Nfd,
    /// <summary>Compatibility decomposition.</summary>
    Nfkd,
    /// <summary>Canonical decomposition then composition.</summary>
    Nfc,
    /// <summary>Compatibility decomposition then canonical composition.</summary>
    Nfkc,
}
