namespace Skald.Models.Generation;

/// <summary>
/// The content of a string with a checked <c>format</c> (<see cref="JsonStringFormat"/>), read byte by byte by
/// <see cref="JsonSchemaAutomaton"/>: a byte is taken exactly when some string of the format begins with the bytes so
/// far, so a string that closes is one. Dates and times follow RFC 3339's grammar (<c>T</c> or <c>t</c>, <c>Z</c> or
/// <c>z</c>, an offset <c>+hh:mm</c> or <c>-hh:mm</c>), with the calendar: a month 01–12, a day that month has (29
/// February in a leap year only), hours 00–23, minutes and seconds 00–59; tighter than RFC 3339, a leap second
/// (<c>:60</c>) is not written and a fraction of a second has at most <see cref="MaxFraction"/> digits. A uuid is 32 hex
/// digits (either case) in groups of 8-4-4-4-12 (RFC 4122; any version); an ipv4 address four decimal numbers 0–255
/// without leading zeros joined by dots. The state is three integers: <c>at</c> (where in the format), <c>value</c>
/// (the year and then year·100 + month of a date; an address's current number) and <c>digit</c> (the first digit of a
/// two-digit field).
/// </summary>
internal static class JsonFormatReader
{
    /// <summary>Most digits of a fraction of a second.</summary>
    public const int MaxFraction = 9;

    private const int TimeStart = 11; // where a date-time's time begins, and a time
    private const int Seconds = 19;   // after the seconds
    private const int Fraction = 20;  // after the point of a fraction of a second
    private const int Offset = 41;    // after an offset's sign
    private const int End = 50;       // a time is whole

    /// <summary>Where a string of <paramref name="format"/> begins.</summary>
    public static int Start(JsonStringFormat format) => format == JsonStringFormat.Time ? TimeStart : 0;

    /// <summary>Whether the string read so far is one of <paramref name="format"/> (its closing quote may come).</summary>
    public static bool Whole(JsonStringFormat format, int at) => format switch
    {
        JsonStringFormat.Date => at == 10,
        JsonStringFormat.Uuid => at == 36,
        JsonStringFormat.Ipv4 => at / 4 == 3 && at % 4 > 0,
        _ => at == End,
    };

    /// <summary>Whether the UTF-8 content <paramref name="text"/> (no quotes, no escapes) is a string of <paramref name="format"/>.</summary>
    public static bool Holds(JsonStringFormat format, ReadOnlySpan<byte> text)
    {
        int at = Start(format), value = 0, digit = 0;
        foreach (byte b in text)
        {
            if (!Take(format, ref at, ref value, ref digit, b)) return false;
        }
        return Whole(format, at);
    }

    /// <summary>Takes byte <paramref name="b"/> of a string of <paramref name="format"/> if some string of it goes on so.</summary>
    public static bool Take(JsonStringFormat format, ref int at, ref int value, ref int digit, byte b) => format switch
    {
        JsonStringFormat.Uuid => Uuid(ref at, b),
        JsonStringFormat.Ipv4 => Ipv4(ref at, ref value, b),
        _ => DateTime(format, ref at, ref value, ref digit, b),
    };

    private static bool Uuid(ref int at, byte b)
    {
        if (at >= 36 || (at is 8 or 13 or 18 or 23 ? b != '-' : !char.IsAsciiHexDigit((char)b))) return false;
        at++;
        return true;
    }

    // at: the number being read times 4 plus its digits so far.
    private static bool Ipv4(ref int at, ref int value, byte b)
    {
        int number = at / 4, digits = at % 4;
        if (b == '.')
        {
            if (digits == 0 || number == 3) return false;
            at = (number + 1) * 4;
            return true;
        }
        if (!char.IsAsciiDigit((char)b)) return false;
        int next = digits == 0 ? b - '0' : value * 10 + (b - '0');
        if (digits > 0 && (value == 0 || next > 255)) return false; // a leading zero, or more than 255
        (value, at) = (next, at + 1);
        return true;
    }

    private static bool DateTime(JsonStringFormat format, ref int at, ref int value, ref int digit, byte b)
    {
        int d = b - '0';
        bool isDigit = d is >= 0 and <= 9;
        switch (at)
        {
            case 0 or 1 or 2 or 3:
                if (!isDigit) return false;
                value = value * 10 + d;
                break;
            case 4 or 7:
                if (b != '-') return false;
                break;
            case 5 or 8 or 11 or 14 or 17 or 41 or 44:
                // the first digit of a field: one some value of the field begins with
                int most = at == 5 ? 1 : at == 8 ? (DaysIn(value) >= 30 ? 3 : 2) : at is 11 or 41 ? 2 : 5;
                if (!isDigit || d > most) return false;
                digit = d;
                break;
            case 6:
                int month = digit * 10 + d;
                if (!isDigit || month is < 1 or > 12) return false;
                value = value * 100 + month;
                break;
            case 9:
                int day = digit * 10 + d;
                if (!isDigit || day < 1 || day > DaysIn(value)) return false;
                break;
            case 10:
                if (format == JsonStringFormat.Date || b is not ((byte)'T' or (byte)'t')) return false;
                break;
            case 12 or 42:
                if (!isDigit || digit * 10 + d > 23) return false;
                break;
            case 13 or 16 or 43:
                if (b != ':') return false;
                break;
            case 15 or 18 or Fraction:
                if (!isDigit) return false;
                break;
            case 45:
                if (!isDigit) return false;
                at = End;
                return true;
            case >= Seconds and <= Fraction + MaxFraction:
                // after the seconds or a digit of their fraction: a point (after the seconds), a digit, or the offset
                if (at == Seconds && b == '.') break;
                if (at > Fraction && isDigit && at < Fraction + MaxFraction) break;
                if (b is (byte)'Z' or (byte)'z') at = End;
                else if (b is (byte)'+' or (byte)'-') at = Offset;
                else return false;
                return true;
            default:
                return false;
        }
        at++;
        return true;
    }

    // The days of the month of `yearMonth` (year·100 + month), leap years as the Gregorian calendar has them.
    private static int DaysIn(int yearMonth)
    {
        int year = yearMonth / 100, month = yearMonth % 100;
        return month == 2 ? (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28) : month is 4 or 6 or 9 or 11 ? 30 : 31;
    }
}
