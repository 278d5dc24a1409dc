namespace Skald.Tokenizers.Core;

/// <summary>Which UTF-8 bytes of a character <see cref="ModelPairs"/> looks at.</summary>
internal enum BytePart
{
    /// <summary>Every byte.</summary>
    All,

    /// <summary>The first byte.</summary>
    First,

    /// <summary>The last byte.</summary>
    Last,
}
