namespace Skald.Tokenizers.Core;

/// <summary>
/// Which whitespace other than the space a <see cref="CutTable"/> cuts at, between two ASCII letters or digits (the
/// proof per pipeline is <see cref="CutTableBuilder"/>'s).
/// </summary>
[Flags]
internal enum LineCuts
{
    /// <summary>Only the space.</summary>
    None = 0,

    /// <summary>A single tab.</summary>
    Tab = 1,

    /// <summary>A single line feed.</summary>
    Newline = 2,

    /// <summary>A carriage return and a line feed.</summary>
    CrLf = 4,
}
