namespace Skald.Models.Generation;

/// <summary>
/// The enclosing values of a row's <see cref="JsonSchemaAutomaton"/> states, shared by their copies: a frame is pushed
/// once and never changed, and a state refers to its innermost enclosing frame by index, each frame to its parent's, so
/// copies of a state share what they have in common (a persistent stack). Frames only copies of the last trie walk used
/// are dropped by <see cref="Rewind"/>; the arrays grow to the deepest walk once, and then a step allocates nothing.
/// </summary>
internal sealed class JsonSchemaStack
{
    private JsonSchemaFrame[] frames = new JsonSchemaFrame[16];
    private int[] parents = new int[16];
    private int count;

    /// <summary>An empty stack over <paramref name="nodes"/>.</summary>
    public JsonSchemaStack(JsonSchemaNode[] nodes) => Nodes = nodes;

    /// <summary>The grammar's nodes.</summary>
    public JsonSchemaNode[] Nodes { get; }

    /// <summary>The frames kept (those of the committed state, and of the copies made since the last rewind).</summary>
    public int Count => count;

    /// <summary>Frame <paramref name="index"/>.</summary>
    public ref readonly JsonSchemaFrame Frame(int index) => ref frames[index];

    /// <summary>The parent of frame <paramref name="index"/> (−1: it is the outermost).</summary>
    public int Parent(int index) => parents[index];

    /// <summary>Pushes <paramref name="frame"/> with <paramref name="parent"/> below it; its index.</summary>
    public int Push(in JsonSchemaFrame frame, int parent)
    {
        if (count == frames.Length)
        {
            Array.Resize(ref frames, count * 2);
            Array.Resize(ref parents, count * 2);
        }
        frames[count] = frame;
        parents[count] = parent;
        return count++;
    }

    /// <summary>Drops every frame above <paramref name="top"/> (the committed state's innermost enclosing frame).</summary>
    public void Rewind(int top) => count = top + 1;
}
