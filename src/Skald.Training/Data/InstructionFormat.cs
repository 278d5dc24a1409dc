using System.Text;

namespace Skald.Training.Data;

/// <summary>
/// The part of Python's <c>str.format</c> that FlagEmbedding's instruction formats use: replacement fields <c>{}</c>
/// (the next argument) or <c>{0}</c> / <c>{1}</c>, and <c>{{</c> / <c>}}</c> for a brace, over two arguments (the
/// instruction, then the text). What Python would refuse (a name, a format spec, a third argument, automatic and manual
/// numbering mixed, a lone brace) is a problem named by <see cref="Problem"/>.
/// </summary>
public static class InstructionFormat
{
    /// <summary>What is wrong with <paramref name="format"/> as a format of (instruction, text), or null when nothing is.</summary>
    public static string? Problem(string format)
    {
        ArgumentNullException.ThrowIfNull(format);
        try
        {
            _ = Apply(format, "", "");
            return null;
        }
        catch (FormatException e)
        {
            return e.Message;
        }
    }

    /// <summary><paramref name="format"/> with its fields replaced by <paramref name="instruction"/> and <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">The format is not one Python accepts over two arguments.</exception>
    public static string Apply(string format, string instruction, string text)
    {
        ArgumentNullException.ThrowIfNull(format);
        var result = new StringBuilder(format.Length + instruction.Length + text.Length);
        int next = 0;
        bool automatic = false, manual = false;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c == '}')
            {
                if (i + 1 < format.Length && format[i + 1] == '}') { result.Append('}'); i++; continue; }
                throw new FormatException("a single '}' (write '}}' for a brace)");
            }
            if (c != '{') { result.Append(c); continue; }
            if (i + 1 < format.Length && format[i + 1] == '{') { result.Append('{'); i++; continue; }
            int close = format.IndexOf('}', i + 1);
            if (close < 0) throw new FormatException("a single '{' (write '{{' for a brace)");
            string field = format[(i + 1)..close];
            int index;
            if (field.Length == 0)
            {
                automatic = true;
                index = next++;
            }
            else if (field is "0" or "1")
            {
                manual = true;
                index = field[0] - '0';
            }
            else
            {
                throw new FormatException($"field '{{{field}}}': the fields are {{}} or {{0}} (the instruction) and {{1}} (the text)");
            }
            if (automatic && manual) throw new FormatException("fields numbered both automatically ({}) and by hand ({0}, {1})");
            if (index > 1) throw new FormatException("more than two fields (the instruction and the text)");
            result.Append(index == 0 ? instruction : text);
            i = close;
        }
        return result.ToString();
    }
}
