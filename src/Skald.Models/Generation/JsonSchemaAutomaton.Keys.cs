namespace Skald.Models.Generation;

/// <summary>
/// The keys of <see cref="JsonSchemaAutomaton"/>'s objects: a listed property's key byte for byte; and in an object with
/// <c>additionalProperties</c>, once no required property is left, any other key, read as a free string in the one
/// spelling each string has (characters as UTF-8, only the escapes \" \\ \b \f \n \r \t, which the listed keys of such an
/// object use too), so two keys are the same string exactly when their bytes are the same: a key equal to a listed
/// property's is that property (taken only where it may come), and one equal to a key written before is refused, so no
/// key repeats.
/// </summary>
internal partial struct JsonSchemaAutomaton
{
    // A byte of a key: some key that may come next (from property A up to the next required one) goes on with it.
    private bool InKey(byte b)
    {
        var node = stack.Nodes[frame.Node];
        var keys = node.Texts;
        int pos = frame.D;
        var (i, j) = Narrow(keys, frame.B, frame.C, pos, b);
        bool any = false;
        int last = LastReaching(node);
        for (int k = i; k < j && !any; k++) any = May(node, node.KeyProperty[k], last);
        if (!any) return false;
        (frame.B, frame.C, frame.D) = (i, j, pos + 1);
        if (keys[i].Length == pos + 1) // a whole key, the only one left (JSON strings are prefix-free)
        {
            int property = node.KeyProperty[i];
            (frame.Phase, frame.A, frame.B) = (JsonSchemaPhase.Colon, property + 1, node.PropertyNode[property]);
            frame.F++;
        }
        return true;
    }

    // Whether a key may come next: one from property A up to the next required one that may be written.
    private readonly bool AnyKey(JsonSchemaNode node)
    {
        int last = Math.Min(node.NextRequired[frame.A], node.PropertyNode.Length - 1), reaching = LastReaching(node);
        for (int p = frame.A; p <= last; p++)
        {
            if (May(node, p, reaching)) return true;
        }
        return false;
    }

    // Whether listed property p may be the next key: it comes from property A up to the next required one, its value
    // fits in the nesting left, and after it the object can still hold between minProperties and maxProperties keys
    // (every required one after it at least; at most: p no later than `reaching`, LastReaching's answer).
    private readonly bool May(JsonSchemaNode node, int p, int reaching)
    {
        if (p < frame.A || p > node.NextRequired[frame.A] || p >= node.PropertyNode.Length || p > reaching || !Fits(node, p)) return false;
        return node.Max == int.MaxValue || frame.F + 1 + node.RequiredFrom[p + 1] <= node.Max;
    }

    // The last listed property that may be the next key with the object still able to reach minProperties after it
    // (int.MaxValue: any; −1: none): after p come at most the properties after it whose values fit, or with
    // additionalProperties (whose values fit) as many as any bound asks, and those are fewer the later p is, so one pass
    // from the end finds it (once per byte, not once per key tried: a mask step stays linear in the keys).
    private readonly int LastReaching(JsonSchemaNode node)
    {
        long need = node.Min - (frame.F + 1); // keys still wanted after the next one
        if (need <= 0 || node.Extra >= 0 && stack.Nodes[node.Extra].MinDepth <= JsonAutomaton.MaxDepth - depth - 1) return int.MaxValue;
        int n = 0; // the properties after q whose values fit
        for (int q = node.PropertyNode.Length - 1; q >= 0; q--)
        {
            if (n >= need) return q;
            if (Fits(node, q)) n++;
        }
        return -1;
    }

    // Whether property p's value fits in the nesting left inside the object.
    private readonly bool Fits(JsonSchemaNode node, int p) => stack.Nodes[node.PropertyNode[p]].MinDepth <= JsonAutomaton.MaxDepth - depth - 1;

    // Whether no required property is left.
    private readonly bool RequiredDone(JsonSchemaNode node) => node.NextRequired[frame.A] == node.PropertyNode.Length;

    // Whether the object may close: no required property is left and it has minProperties keys.
    private readonly bool MayClose(JsonSchemaNode node) => RequiredDone(node) && frame.F >= node.Min;

    // Whether a key beyond the listed properties may come next: the object takes them, no required property is left,
    // it has fewer than maxProperties keys, and their values fit in the nesting left.
    private readonly bool ExtraMay(JsonSchemaNode node) =>
        node.Extra >= 0 && RequiredDone(node) && frame.F < node.Max && stack.Nodes[node.Extra].MinDepth <= JsonAutomaton.MaxDepth - depth - 1;

    // The opening quote of a key where any key may come: B..C are the listed keys it may still be, D the bytes read;
    // the key's bytes go on the stack's key chain after a start entry.
    private bool StartFreeKey(JsonSchemaNode node)
    {
        (frame.Phase, frame.B, frame.C, frame.D) = (JsonSchemaPhase.FreeKey, 0, node.Texts.Length, 1);
        (count, lead) = (0, 0);
        frame.E = keyTop = stack.PushKey(JsonSchemaStack.KeyStart, frame.E);
        return true;
    }

    // A byte of a free key: its content (valid UTF-8, no control character), a backslash, or its closing quote.
    private bool InFreeKey(byte b)
    {
        if (b >= 0x80) return JsonUtf8.Take(b, ref count, ref lead) && KeyByte(b);
        if (count != 0 || b < 0x20) return false;
        if (b == '"') return CloseFreeKey();
        if (b == '\\') frame.Phase = JsonSchemaPhase.FreeKeyEscape;
        return KeyByte(b);
    }

    // The byte after a backslash in a free key: one of the short escapes (\/ and \u would give a second spelling).
    private bool FreeKeyEscape(byte b)
    {
        if (b is not ((byte)'"' or (byte)'\\' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t')) return false;
        frame.Phase = JsonSchemaPhase.FreeKey;
        return KeyByte(b);
    }

    // Appends b to the key being read and narrows the listed keys it may still be.
    private bool KeyByte(byte b)
    {
        var keys = stack.Nodes[frame.Node].Texts;
        if (frame.B < frame.C) (frame.B, frame.C) = Narrow(keys, frame.B, frame.C, frame.D, b);
        frame.D++;
        frame.E = keyTop = stack.PushKey(b, frame.E);
        return true;
    }

    // The closing quote of a free key: a listed property's key where that property may come, else a key not written
    // before, whose value is the object's additional one.
    private bool CloseFreeKey()
    {
        var node = stack.Nodes[frame.Node];
        var keys = node.Texts;
        var (i, j) = frame.B < frame.C ? Narrow(keys, frame.B, frame.C, frame.D, (byte)'"') : (0, 0);
        if (i < j) // the key of listed property p (JSON strings are prefix-free: only one ends here)
        {
            int p = node.KeyProperty[i];
            if (!May(node, p, LastReaching(node))) return false;
            int start = frame.E;
            while (stack.KeyByte(start) != JsonSchemaStack.KeyStart) start = stack.KeyPrevious(start);
            (frame.Phase, frame.A, frame.B, frame.E) = (JsonSchemaPhase.Colon, p + 1, node.PropertyNode[p], stack.KeyPrevious(start));
            frame.F++;
            return true;
        }
        if (Repeats(frame.E)) return false;
        (frame.Phase, frame.A, frame.B) = (JsonSchemaPhase.Colon, node.PropertyNode.Length, node.Extra);
        frame.F++;
        return true;
    }

    // Whether the key whose last entry is `end` equals one before it in its chain (each key follows a start entry);
    // keys are compared from their last bytes back.
    private readonly bool Repeats(int end)
    {
        int other = end;
        while (stack.KeyByte(other) != JsonSchemaStack.KeyStart) other = stack.KeyPrevious(other);
        other = stack.KeyPrevious(other);
        while (other >= 0)
        {
            int a = end, o = other;
            while (stack.KeyByte(a) == stack.KeyByte(o) && stack.KeyByte(a) != JsonSchemaStack.KeyStart)
            {
                a = stack.KeyPrevious(a);
                o = stack.KeyPrevious(o);
            }
            if (stack.KeyByte(a) == JsonSchemaStack.KeyStart && stack.KeyByte(o) == JsonSchemaStack.KeyStart) return true;
            while (stack.KeyByte(o) != JsonSchemaStack.KeyStart) o = stack.KeyPrevious(o);
            other = stack.KeyPrevious(o);
        }
        return false;
    }
}
