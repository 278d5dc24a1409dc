using System.Text;

namespace Skald.Models.Generation;

/// <summary>
/// Reads the function calls out of one model answer as it is generated: <see cref="Push"/> takes each piece and lets out
/// the content that is safe to show and the calls that are complete, <see cref="Finish"/> the rest at the end, so that
/// the pieces of a streamed answer add up to the whole answer read at once. One instance reads one answer.
/// </summary>
public interface IToolCallParser
{
    /// <summary>
    /// Takes the next piece of generated text: appends to <paramref name="content"/> the content now safe to show and to
    /// <paramref name="calls"/> the calls now complete.
    /// </summary>
    void Push(string delta, StringBuilder content, List<ChatToolCall> calls);

    /// <summary>The end of the answer: appends what was held back, as content or as calls.</summary>
    void Finish(StringBuilder content, List<ChatToolCall> calls);
}
