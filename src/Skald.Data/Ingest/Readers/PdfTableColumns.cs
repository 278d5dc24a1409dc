namespace Skald.Data.Ingest.Readers;

/// <summary>
/// The columns of a table that runs to the bottom of its page (<see cref="PdfTables"/>): rows at the top of the next page
/// whose cells fall into them go on with it, one row or more; after a note under the table (<paramref name="AfterNote"/>)
/// two rows or more that fill every one of its columns.
/// </summary>
/// <param name="Bands">Its columns' left and right edges, left to right.</param>
/// <param name="Pitch">The distance between the baselines of its rows (the median), null when not known (one row).</param>
/// <param name="AfterNote">Whether a line in the table's own size lay under it above the page's foot (a "continued" note,
/// "(fortsetter)"), so that only rows clearly of the same table (<see cref="PdfTables.MinRows"/> of them, every column
/// filled) go on with it.</param>
public sealed record PdfTableColumns(IReadOnlyList<(double Left, double Right)> Bands, double? Pitch, bool AfterNote = false);
