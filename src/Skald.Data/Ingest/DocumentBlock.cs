namespace Skald.Data.Ingest;

/// <summary>One heading, paragraph or table row as a reader extracted it (before clean-up).</summary>
/// <param name="Kind">Heading, paragraph or table row.</param>
/// <param name="Text">The block's text; line breaks inside it are kept for the hyphenation clean-up.</param>
public readonly record struct DocumentBlock(BlockKind Kind, string Text);
