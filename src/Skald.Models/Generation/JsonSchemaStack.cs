namespace Skald.Models.Generation;

/// <summary>
/// The enclosing values of a row's <see cref="JsonSchemaAutomaton"/> states, shared by their copies: a frame is pushed
/// once and never changed, and a state refers to its innermost enclosing frame by index, each frame to its parent's, so
/// copies of a state share what they have in common (a persistent stack). Frames only copies of the last trie walk used
/// are dropped by <see cref="Rewind"/>; the arrays grow to the deepest walk once, and then a step allocates nothing.
/// The keys an object with <c>additionalProperties</c> has written beyond its listed properties are kept the same way,
/// as a chain of key bytes (each entry a byte or a separator before a key, and the index of the entry before it).
/// </summary>
internal sealed class JsonSchemaStack
{
    private JsonSchemaFrame[] frames = new JsonSchemaFrame[16];
    private int[] parents = new int[16];
    private int count;
    private int[] keyBytes = new int[64];
    private int[] keyPrevious = new int[64];
    private int keyCount;
    private JsonSchemaAutomaton[] configs = new JsonSchemaAutomaton[8];
    private int configCount;

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

    /// <summary>The value of key entry <paramref name="index"/>: a byte, or <see cref="KeyStart"/>.</summary>
    public int KeyByte(int index) => keyBytes[index];

    /// <summary>The entry before key entry <paramref name="index"/> (−1: none).</summary>
    public int KeyPrevious(int index) => keyPrevious[index];

    /// <summary>The value of the entry that comes before each key's bytes.</summary>
    public const int KeyStart = -1;

    /// <summary>Appends a key entry of <paramref name="value"/> (a byte or <see cref="KeyStart"/>) after <paramref name="previous"/>; its index.</summary>
    public int PushKey(int value, int previous)
    {
        if (keyCount == keyBytes.Length)
        {
            Array.Resize(ref keyBytes, keyCount * 2);
            Array.Resize(ref keyPrevious, keyCount * 2);
        }
        keyBytes[keyCount] = value;
        keyPrevious[keyCount] = previous;
        return keyCount++;
    }

    /// <summary>The configurations kept (automaton states alive beside another, each with no others of its own).</summary>
    public int ConfigCount => configCount;

    /// <summary>Configuration <paramref name="index"/>.</summary>
    public ref readonly JsonSchemaAutomaton Config(int index) => ref configs[index];

    /// <summary>Appends <paramref name="config"/>.</summary>
    public void PushConfig(in JsonSchemaAutomaton config)
    {
        if (configCount == configs.Length) Array.Resize(ref configs, configCount * 2);
        configs[configCount++] = config;
    }

    /// <summary>Overwrites configuration <paramref name="index"/>.</summary>
    public void SetConfig(int index, in JsonSchemaAutomaton config) => configs[index] = config;

    /// <summary>Drops the configurations from <paramref name="end"/> on.</summary>
    public void TruncateConfigs(int end) => configCount = end;

    /// <summary>Moves the <paramref name="n"/> configurations at <paramref name="from"/> to the bottom (the only ones kept); their new index, 0.</summary>
    public int MoveConfigsDown(int from, int n)
    {
        if (from != 0) Array.Copy(configs, from, configs, 0, n);
        return 0;
    }

    /// <summary>
    /// Drops every frame above <paramref name="top"/> (the committed state's innermost enclosing frame), every key
    /// entry above <paramref name="keyTop"/> (the last one it appended) and every configuration above
    /// <paramref name="configTop"/>.
    /// </summary>
    public void Rewind(int top, int keyTop, int configTop)
    {
        count = top + 1;
        keyCount = keyTop + 1;
        configCount = configTop + 1;
    }
}
