using System.Collections.Concurrent;

namespace Skald.Retrieval.Index;

/// <summary>
/// An index's row fields read as numbers and as instants once, field by field on first use, so that a range condition
/// (<see cref="FieldComparison"/>) compares stored values on every search instead of parsing every row's text again:
/// the parse costs several times a filtered search's own scoring on a large index. Safe for concurrent searches.
/// </summary>
internal sealed class FieldValues
{
    private readonly IReadOnlyList<IndexRecord> records;
    private readonly ConcurrentDictionary<string, double[]> numbers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long[]> instants = new(StringComparer.Ordinal);

    /// <summary>The values of <paramref name="records"/>' fields, read when first asked for.</summary>
    public FieldValues(IReadOnlyList<IndexRecord> records) => this.records = records;

    /// <summary>Each row's <paramref name="field"/> as a number (<see cref="FieldComparison.NumberOf"/>; NaN: missing or not one).</summary>
    public double[] Numbers(string field) => numbers.GetOrAdd(field, f =>
    {
        var column = new double[records.Count];
        for (int r = 0; r < column.Length; r++)
            column[r] = records[r].Fields?.GetValueOrDefault(f) is { } text ? FieldComparison.NumberOf(text) : double.NaN;
        return column;
    });

    /// <summary>Each row's <paramref name="field"/> as an instant in UTC ticks (<see cref="FieldComparison.InstantOf"/>; <see cref="long.MinValue"/>: missing or not a date).</summary>
    public long[] Instants(string field) => instants.GetOrAdd(field, f =>
    {
        var column = new long[records.Count];
        for (int r = 0; r < column.Length; r++)
            column[r] = records[r].Fields?.GetValueOrDefault(f) is { } text ? FieldComparison.InstantOf(text) : long.MinValue;
        return column;
    });
}
