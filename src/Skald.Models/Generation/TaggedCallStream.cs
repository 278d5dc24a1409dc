using System.Text;

namespace Skald.Models.Generation;

/// <summary>
/// The streaming half both Mistral parsers share (<see cref="MistralToolCallParser"/>, <see cref="MistralV11ToolCallParser"/>):
/// text is content until the format's tag (or, at the very start, a bare call written without it, the tag dropped by
/// decoding); from there on everything is held, and at the end it is read as calls, or given back as content when it
/// does not read. Whitespace just before the tag goes with the calls, or back to the content if they do not read.
/// </summary>
internal sealed class TaggedCallStream(string tag)
{
    private readonly StringBuilder pending = new();
    private bool holding; // the tag was seen, or the answer opens as a bare call: all is held until the end
    private bool bare;    // held from the start without the tag
    private bool started; // whether the start of the answer has been seen not to be a bare call
    private string gap = ""; // whitespace just before the tag: dropped if calls follow, content if not

    /// <summary>
    /// Takes <paramref name="delta"/>, appending to <paramref name="content"/> what can no longer be (part of) a call;
    /// <paramref name="bareStart"/> tells from an answer's start whether it opens as a bare call (null: too short to tell).
    /// </summary>
    public void Push(string delta, StringBuilder content, Func<string, bool?> bareStart)
    {
        ArgumentNullException.ThrowIfNull(delta);
        pending.Append(delta);
        if (holding) return;
        string text = pending.ToString();
        if (!started)
        {
            if (bareStart(text) is not { } opens) return; // too short to tell
            started = true;
            if (opens)
            {
                holding = bare = true;
                return;
            }
        }
        int at = text.IndexOf(tag, StringComparison.Ordinal);
        if (at >= 0)
        {
            int keep = text.AsSpan(0, at).TrimEnd().Length;
            content.Append(text, 0, keep);
            gap = text[keep..at];
            pending.Remove(0, at);
            holding = true;
            return;
        }
        int safe = text.Length - ToolCallJson.TagPrefix(text, tag);
        while (safe > 0 && char.IsWhiteSpace(text[safe - 1])) safe--;
        if (safe > 0 && char.IsHighSurrogate(text[safe - 1])) safe--;
        content.Append(text, 0, safe);
        pending.Remove(0, safe);
    }

    /// <summary>
    /// Ends the answer: what is held is read by <paramref name="read"/> (given the text after the tag) into
    /// <paramref name="calls"/>, or, when it does not read (null), appended to <paramref name="content"/> as it was.
    /// </summary>
    public void Finish(StringBuilder content, List<ChatToolCall> calls, Func<string, List<ChatToolCall>?> read)
    {
        string rest = pending.ToString();
        pending.Clear();
        if (holding && read(bare ? rest : rest[tag.Length..]) is { } found) calls.AddRange(found);
        else content.Append(gap).Append(rest);
        holding = bare = false;
        started = true;
        gap = "";
    }
}
