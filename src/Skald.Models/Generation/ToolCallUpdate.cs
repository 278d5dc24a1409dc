using System.Text;
using Microsoft.Extensions.AI;

namespace Skald.Models.Generation;

/// <summary>A streamed piece of an answer read for function calls (<see cref="SkaldChatClient"/> with tools).</summary>
internal static class ToolCallUpdate
{
    /// <summary>
    /// Replaces <paramref name="update"/>'s text by what <paramref name="parser"/> lets out of <paramref name="piece"/>
    /// (all that is left, at the <paramref name="end"/>), followed by the calls whose blocks closed, at most
    /// <paramref name="room"/> of them (the rest are dropped: parallel calls not allowed); how many it added. The
    /// content never shows <paramref name="tags"/>' special tags.
    /// </summary>
    public static int Parse(IToolCallParser parser, ChatResponseUpdate update, string piece, bool end, int room, ToolCallTags tags)
    {
        var content = new StringBuilder();
        var calls = new List<ChatToolCall>();
        parser.Push(piece, content, calls);
        if (end) parser.Finish(content, calls);
        string text = tags.Hide(content.ToString());
        update.Contents = text.Length > 0 ? [new TextContent(text)] : [];
        int kept = Math.Min(calls.Count, Math.Max(room, 0));
        for (int i = 0; i < kept; i++) update.Contents.Add(ChatToolTurns.Call(calls[i]));
        return kept;
    }
}
