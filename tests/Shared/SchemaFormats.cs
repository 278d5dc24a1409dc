using System.Globalization;
using System.Text.RegularExpressions;

namespace Skald.Tests;

/// <summary>
/// The string formats <see cref="SchemaValidator"/> checks, written from RFC 3339 (date, time, date-time, with the
/// calendar's month lengths and leap years), RFC 4122 (uuid) and RFC 2673 (ipv4) with regular expressions and
/// <see cref="DateTime.DaysInMonth"/>, apart from the automaton's byte-by-byte reading. As the constraint writes them
/// (and says so), a leap second (:60) and a fraction of a second of more than 9 digits are refused; any other format
/// (email, uri, ...) is an annotation and holds.
/// </summary>
internal static class SchemaFormats
{
    private static readonly Regex Date = new(@"^([0-9]{4})-([0-9]{2})-([0-9]{2})\z", RegexOptions.CultureInvariant);
    private static readonly Regex Time = new(@"^([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?([Zz]|[+-]([0-9]{2}):([0-9]{2}))\z", RegexOptions.CultureInvariant);
    private static readonly Regex Uuid = new(@"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\z", RegexOptions.CultureInvariant);

    /// <summary>Whether <paramref name="text"/> is a string of <paramref name="format"/>.</summary>
    public static bool Holds(string format, string text) => format switch
    {
        "date" => IsDate(text),
        "time" => IsTime(text),
        "date-time" => text.Length > 11 && text[10] is 'T' or 't' && IsDate(text[..10]) && IsTime(text[11..]),
        "uuid" => Uuid.IsMatch(text),
        "ipv4" => text.Split('.') is { Length: 4 } parts && parts.All(p => p.Length is >= 1 and <= 3 && p.All(char.IsAsciiDigit)
            && (p.Length == 1 || p[0] != '0') && int.Parse(p, CultureInfo.InvariantCulture) <= 255),
        _ => true,
    };

    private static bool IsDate(string text)
    {
        var m = Date.Match(text);
        if (!m.Success) return false;
        int year = Int(m, 1), month = Int(m, 2), day = Int(m, 3);
        // DaysInMonth takes years 1–9999; year 0 is a leap year as 400 is (the proleptic Gregorian calendar)
        return month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year == 0 ? 400 : year, month);
    }

    private static bool IsTime(string text)
    {
        var m = Time.Match(text);
        if (!m.Success) return false;
        bool offset = m.Groups[6].Success;
        return Int(m, 1) <= 23 && Int(m, 2) <= 59 && Int(m, 3) <= 59 && (!offset || Int(m, 6) <= 23 && Int(m, 7) <= 59);
    }

    private static int Int(Match m, int group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);
}
