namespace Skald.Data.Inspect;

/// <summary>What one column holds.</summary>
/// <param name="Name">Column name.</param>
/// <param name="Empty">Cells that are missing, null or blank.</param>
/// <param name="Duplicates">Non-empty cells whose text already appeared earlier in the column.</param>
/// <param name="Numeric">True when every non-empty cell is a number or a list of numbers (a label or score column: no lengths).</param>
/// <param name="Lengths">Token counts of the non-empty text cells (empty for numeric columns).</param>
/// <param name="Languages">Guessed language → cells (text columns).</param>
public sealed record ColumnReport(string Name, int Empty, int Duplicates, bool Numeric, IReadOnlyList<int> Lengths,
    IReadOnlyDictionary<string, int> Languages);
