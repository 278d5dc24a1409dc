namespace Skald.Tokenizers.PreTokenizers;

/// <summary>Metaspace prepend scheme.</summary>
internal enum PrependScheme
{
    /// <summary>Always prepend the replacement to a piece not starting with it.</summary>
    Always,
    /// <summary>Only for the first piece of the input.</summary>
    First,
    /// <summary>Never.</summary>
    Never,
}
