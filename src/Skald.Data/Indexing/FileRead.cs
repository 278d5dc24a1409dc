namespace Skald.Data.Indexing;

/// <summary>A document file's SHA-256 (lower-case hex) and its <see cref="FileStamp"/> taken just before it was hashed and read.</summary>
/// <param name="Sha256">The hash of its bytes.</param>
/// <param name="Stamp">Its length and write time.</param>
internal readonly record struct FileRead(string Sha256, FileStamp Stamp);
