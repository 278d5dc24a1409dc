namespace Skald.Tokenizers.Templates;

/// <summary>Builds the one-line errors that name a place in the template: "chat_template line L, column C: …".</summary>
internal static class TemplateErrors
{
    /// <summary>The 1-based line and column of offset <paramref name="pos"/> in <paramref name="source"/>.</summary>
    public static (int Line, int Column) Locate(string source, int pos)
    {
        pos = Math.Clamp(pos, 0, source.Length);
        int line = 1, lineStart = 0;
        for (int i = 0; i < pos; i++)
            if (source[i] == '\n') { line++; lineStart = i + 1; }
        return (line, pos - lineStart + 1);
    }

    /// <summary>An error at offset <paramref name="pos"/> with a one-line <paramref name="message"/>.</summary>
    public static ChatTemplateException At(string source, int pos, string message, bool raised = false)
    {
        var (line, column) = Locate(source, pos);
        return new ChatTemplateException($"chat_template line {line}, column {column}: {OneLine(message)}")
        {
            RaisedByTemplate = raised,
            Detail = message,
            Place = (line, column),
        };
    }

    /// <summary><paramref name="message"/> on one line (its line breaks spaces).</summary>
    public static string OneLine(string message) => message.Replace("\r", " ").Replace("\n", " ");
}
