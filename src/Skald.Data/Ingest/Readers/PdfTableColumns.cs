namespace Skald.Data.Ingest.Readers;

/// <summary>
/// The columns of a table that runs to the bottom of its page (<see cref="PdfTables"/>): rows at the top of the next page
/// whose cells fall into them go on with it, one row or more.
/// </summary>
/// <param name="Bands">Its columns' left and right edges, left to right.</param>
/// <param name="Pitch">The distance between the baselines of its rows (the median), null when not known (one row).</param>
public sealed record PdfTableColumns(IReadOnlyList<(double Left, double Right)> Bands, double? Pitch);
