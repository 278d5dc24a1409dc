namespace Skald.Models.Generation;

/// <summary>
/// The alternatives of a union that start with the same byte (two object schemas, a string and a string enum), read
/// side by side as llama.cpp's grammar sampler keeps a set of stacks: at such a value's first byte the state forks into
/// one configuration per alternative that takes it, each goes on alone (its frames on the shared stack, so a fork costs
/// a copy of the innermost frame), one that refuses a byte is dropped, and two that have become the same (their union
/// value ended at the same byte) merge. A byte is taken while some configuration takes it, so the text validates
/// against at least one alternative. The others than the first are kept in the stack's configurations; the compiler
/// bounds how many can be alive (<see cref="JsonSchemaNode.Width"/>), and a step that would leave more alive throws
/// <see cref="InvalidOperationException"/> rather than go on past that bound. A step first drops the configurations pushed
/// since its state was made (by copies stepped from it earlier, which a trie walk leaves behind), so a walk keeps those
/// of one path through the trie, not of every token tried. While only one is alive, a step costs one
/// more comparison.
/// </summary>
internal partial struct JsonSchemaAutomaton
{
    /// <summary>The configurations alive: this state and those beside it.</summary>
    public readonly int Alive => others + 1;

    /// <summary>
    /// Drops the stack frames, key entries and configurations above this state's (those only the copies of a trie walk
    /// pushed), and moves the configurations beside this one to the bottom, so that those of earlier steps do not pile
    /// up: call it on the committed state only.
    /// </summary>
    public void Rewind()
    {
        if (others == 0)
        {
            stack.Rewind(parent, keyTop, -1);
            floor = 0;
            return;
        }
        first = stack.MoveConfigsDown(first, others); // the committed state's are the only ones kept
        stack.Rewind(Math.Max(parent, othersParent), Math.Max(keyTop, othersKeyTop), others - 1);
        floor = others;
    }

    // The first byte of a union value that several alternatives start with: this state goes on with the first that
    // takes it, the others that do are pushed as configurations beside it.
    private bool Fork(int[] choices, byte b)
    {
        var before = this;
        bool any = false;
        foreach (int alternative in choices)
        {
            var c = before;
            c.frame.Node = alternative;
            if (!c.Open(stack.Nodes[alternative], b)) continue;
            if (any) stack.PushConfig(c);
            else (this, any) = (c, true);
        }
        return any;
    }

    // After a step that forked: the configurations pushed from `mark` on and this one (if it took the byte) are those alive.
    private bool Gather(bool taken, int mark)
    {
        if (taken) stack.PushConfig(Alone());
        return Settle(mark);
    }

    // A byte for every configuration alive: the ones that take it (and those they fork into) go on.
    private bool StepAll(byte b)
    {
        int begin = stack.ConfigCount;
        var c = Alone();
        if (c.Step(b)) stack.PushConfig(c);
        for (int i = 0; i < others; i++)
        {
            c = stack.Config(first + i);
            if (c.Step(b)) stack.PushConfig(c);
        }
        return Settle(begin);
    }

    // The configurations from `begin` on are those alive: duplicates merged, the first becomes this state and the
    // rest its others; false when none is.
    private bool Settle(int begin)
    {
        int end = begin;
        for (int i = begin; i < stack.ConfigCount; i++)
        {
            ref readonly var candidate = ref stack.Config(i);
            bool seen = false;
            for (int j = begin; j < end && !seen; j++) seen = Same(stack.Config(j), candidate);
            if (!seen) stack.SetConfig(end++, candidate);
        }
        stack.TruncateConfigs(end);
        if (end == begin) return false;
        if (end - begin > JsonSchemaCompiler.MaxWidth) // the compiler's Widths proves this never happens: say so loudly if it does
        {
            throw new InvalidOperationException($"JSON schema automaton: {end - begin} configurations alive at once, more than the " +
                $"{JsonSchemaCompiler.MaxWidth} the compiler bounds a schema to (a schema its width check let through)");
        }
        var head = stack.Config(begin);
        (int n, int parents, int keys) = (end - begin - 1, -1, -1);
        for (int i = begin + 1; i < end; i++)
        {
            parents = Math.Max(parents, stack.Config(i).parent);
            keys = Math.Max(keys, stack.Config(i).keyTop);
        }
        this = head;
        (others, first, othersParent, othersKeyTop, floor) = (n, begin + 1, parents, keys, end);
        return true;
    }

    // This state without the configurations beside it.
    private readonly JsonSchemaAutomaton Alone()
    {
        var c = this;
        (c.others, c.first) = (0, 0);
        return c;
    }

    // Whether two configurations will take the same bytes from here (the key entries they appended aside).
    private static bool Same(in JsonSchemaAutomaton a, in JsonSchemaAutomaton b) =>
        a.parent == b.parent && a.depth == b.depth && a.whitespace == b.whitespace && a.count == b.count && a.lead == b.lead
        && a.frame.Node == b.frame.Node && a.frame.Phase == b.frame.Phase && a.frame.A == b.frame.A && a.frame.B == b.frame.B
        && a.frame.C == b.frame.C && a.frame.D == b.frame.D && a.frame.E == b.frame.E;

    // Whether one of the configurations beside this one takes any plain content next.
    private readonly bool OtherUnbounded()
    {
        for (int i = 0; i < others; i++)
        {
            if (stack.Config(first + i).Unbounded()) return true;
        }
        return false;
    }

    // Whether one of the configurations beside this one is complete.
    private readonly bool OtherComplete()
    {
        for (int i = 0; i < others; i++)
        {
            if (stack.Config(first + i).frame.Phase == JsonSchemaPhase.Done) return true;
        }
        return false;
    }
}
