using System.Globalization;
using System.Text;

namespace Skald.Tokenizers.Templates;

/// <summary>Python's <c>strftime</c> directives in the C locale (what Hugging Face's <c>strftime_now</c> calls).</summary>
internal static class StrfTime
{
    /// <summary>Formats <paramref name="t"/> with a Python strftime format.</summary>
    public static string Format(DateTime t, string format)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            char d = format[++i];
            sb.Append(d switch
            {
                'd' => t.Day.ToString("00", c),
                'm' => t.Month.ToString("00", c),
                'Y' => t.Year.ToString("0000", c),
                'y' => (t.Year % 100).ToString("00", c),
                'H' => t.Hour.ToString("00", c),
                'I' => (t.Hour % 12 == 0 ? 12 : t.Hour % 12).ToString("00", c),
                'M' => t.Minute.ToString("00", c),
                'S' => t.Second.ToString("00", c),
                'f' => (t.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", c),
                'p' => t.Hour < 12 ? "AM" : "PM",
                'b' => c.DateTimeFormat.GetAbbreviatedMonthName(t.Month),
                'B' => c.DateTimeFormat.GetMonthName(t.Month),
                'a' => c.DateTimeFormat.GetAbbreviatedDayName(t.DayOfWeek),
                'A' => c.DateTimeFormat.GetDayName(t.DayOfWeek),
                'j' => t.DayOfYear.ToString("000", c),
                'w' => ((int)t.DayOfWeek).ToString(c),
                'e' => t.Day.ToString(c).PadLeft(2),
                '%' => "%",
                _ => throw new TemplateRuntimeException($"strftime_now: the directive '%{d}' is not supported"),
            });
        }
        return sb.ToString();
    }
}
