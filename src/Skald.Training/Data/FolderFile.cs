namespace Skald.Training.Data;

/// <summary>One <c>.json</c> / <c>.jsonl</c> file of a FlagEmbedding training folder and what its thresholds make of it.</summary>
/// <param name="Path">The file.</param>
/// <param name="Data">Its rows, as training reads them.</param>
/// <param name="Use">Whether it trains alone, merged with the other small files, or not at all.</param>
public sealed record FolderFile(string Path, TextDataset Data, FolderFileUse Use);
