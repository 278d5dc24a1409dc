using System.Globalization;

namespace Skald.Retrieval.Index;

/// <summary>
/// A range condition on a row's field (<c>skald search --where "year&gt;=2020"</c>, <c>/v1/search</c>'s
/// <c>"where": {"year": {"gte": 2020}}</c>). The value given decides how rows compare: a number (invariant culture:
/// <c>2020</c>, <c>-1.5</c>, <c>1e3</c>, <c>-Infinity</c>; NaN is refused) compares numerically with rows whose field
/// is a number; an ISO 8601 date
/// (<c>2024-03-01</c>, optionally with a time and an offset, UTC without one) compares in time with rows whose field is
/// such a date; any other value compares with the field's text by ordinal (Unicode code unit) order. A row whose field is
/// missing, or is not of the value's kind, never passes (<c>year&gt;2020</c> and <c>year&lt;2020</c> both leave out
/// <c>"n/a"</c>). <see cref="ComparisonOperator.NotEqual"/> is the opposite of an exact match: the field is there and its
/// text differs.
/// </summary>
public sealed class FieldComparison
{
    private readonly double? number;
    private readonly DateTimeOffset? date;

    /// <summary>A comparison of <paramref name="field"/> with <paramref name="value"/> (neither empty, nor longer than <see cref="IndexFilter.MaxLength"/>).</summary>
    public FieldComparison(string field, ComparisonOperator op, string value)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(value);
        if (field.Length == 0) throw new ArgumentException("a field name is empty", nameof(field));
        if (!Enum.IsDefined(op)) throw new ArgumentOutOfRangeException(nameof(op));
        if (value.Length == 0) throw new ArgumentException($"field \"{Short(field)}\": {Symbol(op)} needs a value", nameof(value));
        if (field.Length > IndexFilter.MaxLength || value.Length > IndexFilter.MaxLength)
            throw new ArgumentException($"field \"{Short(field)}\": a name or value is longer than {IndexFilter.MaxLength} characters", nameof(value));
        if (op != ComparisonOperator.NotEqual && Parse(value, out double nan) && double.IsNaN(nan))
            throw new ArgumentException($"field \"{Short(field)}\": {Symbol(op)} {value} compares with nothing (NaN is not a number to order by)", nameof(value));
        (Field, Operator, Value) = (field, op, value);
        if (TryNumber(value, out double n)) number = n;
        else if (TryDate(value, out var d)) date = d;
    }

    /// <summary>The field compared.</summary>
    public string Field { get; }

    /// <summary>The comparison.</summary>
    public ComparisonOperator Operator { get; }

    /// <summary>The value compared with, as given.</summary>
    public string Value { get; }

    /// <summary>How rows are compared with <see cref="Value"/>: "number", "date" or "text".</summary>
    public string Kind => number is not null ? "number" : date is not null ? "date" : "text";

    /// <summary>Whether a row whose field holds <paramref name="rowValue"/> passes (null: the field is missing, which never passes).</summary>
    public bool Holds(string? rowValue) => rowValue is not null && Holds(rowValue,
        number is null ? double.NaN : NumberOf(rowValue), date is null ? long.MinValue : InstantOf(rowValue));

    /// <summary>
    /// <see cref="Holds(string?)"/> for a present field whose text was read already: <paramref name="rowNumber"/> as
    /// <see cref="NumberOf"/> reads it (looked at when <see cref="Kind"/> is "number"), <paramref name="rowInstant"/> as
    /// <see cref="InstantOf"/> does (when "date").
    /// </summary>
    internal bool Holds(string rowValue, double rowNumber, long rowInstant)
    {
        if (Operator == ComparisonOperator.NotEqual) return !string.Equals(rowValue, Value, StringComparison.Ordinal);
        int order;
        if (number is double n)
        {
            if (double.IsNaN(rowNumber)) return false;
            order = rowNumber.CompareTo(n);
        }
        else if (date is DateTimeOffset d)
        {
            if (rowInstant == long.MinValue) return false;
            order = rowInstant.CompareTo(d.UtcTicks);
        }
        else order = string.CompareOrdinal(rowValue, Value);
        return Operator switch
        {
            ComparisonOperator.Greater => order > 0,
            ComparisonOperator.GreaterOrEqual => order >= 0,
            ComparisonOperator.Less => order < 0,
            _ => order <= 0,
        };
    }

    /// <summary>The operator as <c>skald search --where</c> writes it: <c>!=</c>, <c>&gt;</c>, <c>&gt;=</c>, <c>&lt;</c>, <c>&lt;=</c>.</summary>
    public static string Symbol(ComparisonOperator op) => op switch
    {
        ComparisonOperator.NotEqual => "!=",
        ComparisonOperator.Greater => ">",
        ComparisonOperator.GreaterOrEqual => ">=",
        ComparisonOperator.Less => "<",
        ComparisonOperator.LessOrEqual => "<=",
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    /// <inheritdoc/>
    public override string ToString() => Field + Symbol(Operator) + Value;

    /// <summary>A field's text as the number it compares as (NaN: not a number).</summary>
    internal static double NumberOf(string text) => TryNumber(text, out double x) ? x : double.NaN;

    /// <summary>A field's text as the instant it compares as, in UTC ticks (<see cref="long.MinValue"/>: not a date).</summary>
    internal static long InstantOf(string text) => TryDate(text, out var t) ? t.UtcTicks : long.MinValue;

    /// <summary>
    /// A number in invariant culture: an optional sign, digits, a decimal point, an exponent (no spaces or group
    /// separators), or Infinity; one beyond double's range is infinite, above (below) every other; NaN is no number.
    /// </summary>
    private static bool TryNumber(string s, out double value) => Parse(s, out value) && !double.IsNaN(value);

    private static bool Parse(string s, out double value) =>
        double.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value);

    /// <summary>An ISO 8601 date: yyyy-mm-dd, alone or followed by 'T' (or a space) and a time, with an optional offset (UTC without one).</summary>
    private static bool TryDate(string s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length < 10 || !(char.IsAsciiDigit(s[0]) && char.IsAsciiDigit(s[1]) && char.IsAsciiDigit(s[2]) && char.IsAsciiDigit(s[3]) && s[4] == '-'
            && char.IsAsciiDigit(s[5]) && char.IsAsciiDigit(s[6]) && s[7] == '-' && char.IsAsciiDigit(s[8]) && char.IsAsciiDigit(s[9])))
            return false;
        if (s.Length > 10 && s[10] is not ('T' or ' ')) return false;
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out value);
    }

    private static string Short(string field) => field[..Math.Min(field.Length, 40)];
}
