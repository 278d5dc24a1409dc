namespace Skald.Models.Generation;

/// <summary>
/// A pushdown automaton over the bytes of a JSON text that a compiled schema (<see cref="JsonSchemaGrammar"/>) takes:
/// it accepts a byte exactly when the bytes so far are still a prefix that some continuation makes a JSON value the
/// schema's nodes describe, and is <see cref="Complete"/> when the top-level object has closed (nothing may follow).
/// Objects give their keys in the schema's order (each key as its JSON string, byte for byte), optional ones skipped,
/// required ones all, then, with <c>additionalProperties</c>, other keys none of which repeats a key (see the Keys
/// part); integers their bounds (the Bounds part); unions whose alternatives start alike are read side by side (the
/// Alternatives part); arrays keep their item bounds; strings their length bounds (in characters, an escape one; \u
/// escapes of surrogates are refused, so a count is one character per code point); literals (enum, const, true, false,
/// null) are matched byte for byte against their texts. The JSON lexical rules are <see cref="JsonAutomaton"/>'s, with
/// its limit of <see cref="JsonAutomaton.MaxDepth"/> nested containers, which bounds recursive schemas: a container
/// opens only where the nesting its node needs (<see cref="JsonSchemaNode.MinDepth"/>) still fits, so every prefix taken
/// can be completed. Tighter, as in llama.cpp's schema grammars: numbers have at most <see cref="MaxDigits"/> digits in
/// their integer part and in their fraction and <see cref="MaxExponentDigits"/> in their exponent; whitespace between
/// tokens is one space, or a newline and at most <see cref="MaxIndent"/> spaces or tabs (a model can indent but not
/// pad), and none comes before the top-level object. The innermost value is held in the struct and
/// the ones around it in a <see cref="JsonSchemaStack"/> shared by copies, so copying a state saves it.
/// </summary>
internal partial struct JsonSchemaAutomaton : IJsonAutomaton
{
    /// <summary>Most spaces or tabs after a newline between tokens (llama.cpp's JSON schema grammars allow 20).</summary>
    public const int MaxIndent = 20;

    /// <summary>Most digits of a number's integer part, and of its fraction (llama.cpp's schema grammars bound them to 16).</summary>
    public const int MaxDigits = 16;

    /// <summary>Most digits of a number's exponent (enough for any double).</summary>
    public const int MaxExponentDigits = 3;

    private const byte OneSpace = byte.MaxValue; // the whitespace run is a single space: nothing more may follow

    private readonly JsonSchemaStack stack;
    private JsonSchemaFrame frame; // the innermost open value
    private int parent;            // its enclosing frame in the stack (−1: it is the top level)
    private byte depth;            // enclosing frames
    private byte whitespace;       // 0: no whitespace run; OneSpace; else 1 + the spaces and tabs after its newline
    private byte count;            // hex digits left after \u; UTF-8 continuation bytes due
    private byte lead;             // the lead byte whose first continuation byte is due, else 0
    private int keyTop = -1;       // the last key entry this state appended to the stack (−1: none)
    private int others;            // the other configurations alive beside this one (union alternatives read side by side)
    private int first;             // where they stand in the stack's configurations
    private int othersParent;      // the innermost frame any of them refers to
    private int othersKeyTop;      // the last key entry any of them refers to
    private int floor;             // the configurations kept when this state was made (those above are its copies')

    /// <summary>The start of a text whose top-level value is node <paramref name="root"/> of <paramref name="stack"/>'s grammar.</summary>
    public JsonSchemaAutomaton(JsonSchemaStack stack, int root)
    {
        this.stack = stack;
        frame = new JsonSchemaFrame { Node = root, Phase = JsonSchemaPhase.Value };
        parent = -1;
        floor = stack.ConfigCount;
    }

    /// <summary>Whether the top-level object has closed.</summary>
    public readonly bool Complete => frame.Phase == JsonSchemaPhase.Done || others > 0 && OtherComplete();

    /// <summary>
    /// Inside a string without a maximum length (or a free key), between characters: any plain content may follow (in
    /// this configuration or one beside it).
    /// </summary>
    public readonly bool BetweenStringCharacters => Unbounded() || others > 0 && OtherUnbounded();

    // Whether this configuration takes any plain content next.
    private readonly bool Unbounded() =>
        count == 0 && (frame.Phase == JsonSchemaPhase.String && stack.Nodes[frame.Node].Max == int.MaxValue || frame.Phase == JsonSchemaPhase.FreeKey);

    /// <summary>Takes <paramref name="b"/> if the text stays a valid prefix; false if not, and the state is then spoiled.</summary>
    public bool TryAdvance(byte b)
    {
        // configurations pushed since this state was made are those of copies stepped from it before, which a trie walk
        // has left behind: drop them, or a walk with many alive would pile up a copy of each per trie node
        if (stack.ConfigCount > floor) stack.TruncateConfigs(floor);
        if (others > 0) return StepAll(b);
        int mark = stack.ConfigCount;
        bool taken = Step(b);
        return stack.ConfigCount == mark ? taken : Gather(taken, mark); // a union's alternatives went their own ways
    }

    /// <summary>Takes every byte of <paramref name="bytes"/>; false, with the state after the valid part, at the first it refuses.</summary>
    public bool Advance(ReadOnlySpan<byte> bytes) => IJsonAutomaton.AdvanceAll(ref this, bytes);

    private bool Step(byte b)
    {
        switch (frame.Phase)
        {
            case JsonSchemaPhase.String: return InString(b);
            case JsonSchemaPhase.Formatted:
                var format = stack.Nodes[frame.Node].Format;
                return b == '"' ? JsonFormatReader.Whole(format, frame.C) && End() : JsonFormatReader.Take(format, ref frame.C, ref frame.D, ref frame.E, b);
            case JsonSchemaPhase.Escape:
                if (b == 'u')
                {
                    (frame.Phase, frame.B, count) = (JsonSchemaPhase.Hex, 0, 4);
                    return true;
                }
                if (b is (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t')
                {
                    frame.Phase = JsonSchemaPhase.String;
                    return true;
                }
                return false;
            case JsonSchemaPhase.Hex:
                if (!char.IsAsciiHexDigit((char)b)) return false;
                if (count == 4) frame.B = b is (byte)'d' or (byte)'D' ? 1 : 0;
                else if (count == 3 && frame.B == 1 && (b is (byte)'8' or (byte)'9' || b >= 'A')) return false; // \uD800–\uDFFF
                if (--count == 0) frame.Phase = JsonSchemaPhase.String;
                return true;
            case JsonSchemaPhase.Literal: return InLiteral(b);
            case JsonSchemaPhase.Key: return InKey(b);
            case JsonSchemaPhase.FreeKey: return InFreeKey(b);
            case JsonSchemaPhase.FreeKeyEscape: return FreeKeyEscape(b);
            case JsonSchemaPhase.Minus:
                return Digit(b, b == '0' ? JsonSchemaPhase.Zero : JsonSchemaPhase.Int) && (!stack.Nodes[frame.Node].Bounded || BoundedDigit(b, true));
            case JsonSchemaPhase.Dot:
                return Digit(b, JsonSchemaPhase.Frac) && (!stack.Nodes[frame.Node].Bounded || BoundedDigit(b, true));
            case JsonSchemaPhase.ExpMark:
                if (b is (byte)'+' or (byte)'-')
                {
                    frame.Phase = JsonSchemaPhase.ExpSign;
                    return true;
                }
                return Digit(b, JsonSchemaPhase.Exp);
            case JsonSchemaPhase.ExpSign:
                return Digit(b, JsonSchemaPhase.Exp);
            case JsonSchemaPhase.Zero or JsonSchemaPhase.Int or JsonSchemaPhase.Frac or JsonSchemaPhase.Exp:
                var phase = frame.Phase;
                var number = stack.Nodes[frame.Node];
                if (char.IsAsciiDigit((char)b) && phase != JsonSchemaPhase.Zero)
                {
                    return ++frame.A <= (phase == JsonSchemaPhase.Exp ? MaxExponentDigits : MaxDigits)
                        && (!number.Bounded || BoundedDigit(b, false));
                }
                bool integer = number.Kind == JsonSchemaKind.Integer;
                if (!integer && b == '.' && phase is JsonSchemaPhase.Zero or JsonSchemaPhase.Int)
                {
                    frame.Phase = JsonSchemaPhase.Dot;
                    return !number.Bounded || BoundedPoint(number);
                }
                if (!integer && !number.Bounded && b is (byte)'e' or (byte)'E' && phase != JsonSchemaPhase.Exp)
                {
                    frame.Phase = JsonSchemaPhase.ExpMark;
                    return true;
                }
                if (number.Bounded && !InBounds(number)) return false;
                End(); // the number ended: b is what follows it
                return Step(b);
            case JsonSchemaPhase.Done:
                return false;
            default:
                return Structural(b);
        }
    }

    // Between tokens: whitespace, punctuation, a key, or the start of a value.
    private bool Structural(byte b)
    {
        if (b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') return parent >= 0 || frame.Phase != JsonSchemaPhase.Value ? Whitespace(b) : false;
        whitespace = 0;
        var node = stack.Nodes[frame.Node];
        switch (frame.Phase)
        {
            case JsonSchemaPhase.Value:
                return Value(b);
            case JsonSchemaPhase.ObjectOpen or JsonSchemaPhase.KeyNext:
                if (b == '"')
                {
                    if (ExtraMay(node)) return StartFreeKey(node);
                    if (!AnyKey(node)) return false;
                    (frame.Phase, frame.B, frame.C, frame.D) = (JsonSchemaPhase.Key, 0, node.Texts.Length, 0);
                    return InKey(b);
                }
                return b == '}' && frame.Phase == JsonSchemaPhase.ObjectOpen && MayClose(node) && End();
            case JsonSchemaPhase.Colon:
                if (b != ':') return false;
                frame.Phase = JsonSchemaPhase.ObjectAfter;
                Push(frame.B);
                return true;
            case JsonSchemaPhase.ObjectAfter:
                if (b == ',')
                {
                    frame.Phase = JsonSchemaPhase.KeyNext;
                    return AnyKey(node) || ExtraMay(node);
                }
                return b == '}' && MayClose(node) && End();
            case JsonSchemaPhase.ArrayOpen or JsonSchemaPhase.ArrayNext:
                if (b == ']' && frame.Phase == JsonSchemaPhase.ArrayOpen) return node.Min == 0 && End();
                if (frame.A >= node.Max) return false;
                frame.A++;
                frame.Phase = JsonSchemaPhase.ArrayAfter;
                Push(node.Items);
                return Value(b);
            case JsonSchemaPhase.ArrayAfter:
                if (b == ',')
                {
                    frame.Phase = JsonSchemaPhase.ArrayNext;
                    return frame.A < node.Max;
                }
                return b == ']' && frame.A >= node.Min && End();
            default:
                return false;
        }
    }

    // A whitespace byte between tokens: a run is one space, or a newline and up to MaxIndent spaces or tabs.
    private bool Whitespace(byte b)
    {
        if (whitespace == 0)
        {
            if (b == ' ') whitespace = OneSpace;
            else if (b == '\n') whitespace = 1;
            else return false;
            return true;
        }
        if (whitespace == OneSpace || whitespace > MaxIndent || b is not ((byte)' ' or (byte)'\t')) return false;
        whitespace++;
        return true;
    }

    // The first byte of a value of the frame's node (of the union alternative that byte chooses).
    private bool Value(byte b)
    {
        var node = stack.Nodes[frame.Node];
        if (node.Kind == JsonSchemaKind.Union)
        {
            int alternative = node.Dispatch[b];
            if (alternative < -1) return Fork(node.Choices[-2 - alternative], b);
            if (alternative < 0) return false;
            frame.Node = alternative;
            node = stack.Nodes[alternative];
        }
        return Open(node, b);
    }

    // The first byte of a value of `node` (the frame's node, or the union alternative chosen).
    private bool Open(JsonSchemaNode node, byte b)
    {
        switch (node.Kind)
        {
            case JsonSchemaKind.Object:
                if (b != '{' || node.MinDepth > JsonAutomaton.MaxDepth - depth) return false; // MinDepth may be int.MaxValue
                (frame.Phase, frame.A, frame.E, frame.F) = (JsonSchemaPhase.ObjectOpen, 0, -1, 0);
                return true;
            case JsonSchemaKind.Array:
                if (b != '[' || node.MinDepth > JsonAutomaton.MaxDepth - depth) return false; // MinDepth may be int.MaxValue
                (frame.Phase, frame.A) = (JsonSchemaPhase.ArrayOpen, 0);
                return true;
            case JsonSchemaKind.String:
                if (b != '"') return false;
                (frame.Phase, frame.A, count, lead) = (JsonSchemaPhase.String, 0, 0, 0);
                if (node.Format != JsonStringFormat.None) (frame.Phase, frame.C, frame.D, frame.E) = (JsonSchemaPhase.Formatted, JsonFormatReader.Start(node.Format), 0, 0);
                return true;
            case JsonSchemaKind.Number or JsonSchemaKind.Integer:
                if (b == '-') (frame.Phase, frame.B) = (JsonSchemaPhase.Minus, 1);
                else if (b == '0') (frame.Phase, frame.A, frame.B) = (JsonSchemaPhase.Zero, 1, 0);
                else if (b is >= (byte)'1' and <= (byte)'9') (frame.Phase, frame.A, frame.B) = (JsonSchemaPhase.Int, 1, 0);
                else return false;
                return !node.Bounded || (b == '-' ? NegativeFits(node) : BoundedDigit(b, true));
            case JsonSchemaKind.Literal:
                (frame.Phase, frame.B, frame.C, frame.D) = (JsonSchemaPhase.Literal, 0, node.Texts.Length, 0);
                return InLiteral(b);
            default:
                return false;
        }
    }

    // Narrows texts[lo..hi), which share their first `pos` bytes, to those whose next byte is b: sorted, they are the
    // one that ends there (if any) and then runs by that byte, so two binary searches find the run.
    private static (int First, int End) Narrow(byte[][] texts, int lo, int hi, int pos, byte b)
    {
        if (lo < hi && texts[lo].Length == pos) lo++;
        int a = lo, z = hi;
        while (a < z)
        {
            int m = (a + z) >> 1;
            if (texts[m][pos] < b) a = m + 1;
            else z = m;
        }
        int first = a;
        z = hi;
        while (a < z)
        {
            int m = (a + z) >> 1;
            if (texts[m][pos] <= b) a = m + 1;
            else z = m;
        }
        return (first, a);
    }

    // A byte of a literal: it goes on with some of the texts left, or follows one that has ended.
    private bool InLiteral(byte b)
    {
        var texts = stack.Nodes[frame.Node].Texts;
        int pos = frame.D;
        var (i, j) = Narrow(texts, frame.B, frame.C, pos, b);
        if (i == j)
        {
            if (pos == 0 || texts[frame.B].Length != pos) return false;
            End(); // a text ended before b (one of 1 and 12, say)
            return Step(b);
        }
        (frame.B, frame.C, frame.D) = (i, j, pos + 1);
        if (j - i == 1 && texts[i].Length == pos + 1) End(); // the only text left is whole
        return true;
    }

    // A byte of a string's content, its closing quote or the start of an escape; A counts the characters.
    private bool InString(byte b)
    {
        var node = stack.Nodes[frame.Node];
        if (b >= 0x80)
        {
            if (b < 0xC0) return JsonUtf8.Take(b, ref count, ref lead);
            if (frame.A >= node.Max || !JsonUtf8.Take(b, ref count, ref lead)) return false; // a lead byte starts a character
            frame.A++;
            return true;
        }
        if (count != 0 || b < 0x20) return false;
        if (b == '"')
        {
            if (frame.A < node.Min) return false;
            End();
            return true;
        }
        if (frame.A >= node.Max) return false;
        frame.A++;
        if (b == '\\') frame.Phase = JsonSchemaPhase.Escape;
        return true;
    }

    // The first digit of a number's part; A counts the part's digits.
    private bool Digit(byte b, JsonSchemaPhase next)
    {
        if (!char.IsAsciiDigit((char)b)) return false;
        (frame.Phase, frame.A) = (next, 1);
        return true;
    }

    // Opens a value of `node` inside the current frame (already moved to what follows the value).
    private void Push(int node)
    {
        parent = stack.Push(frame, parent);
        depth++;
        frame = new JsonSchemaFrame { Node = node, Phase = JsonSchemaPhase.Value };
    }

    // The innermost value is whole: back to the frame around it, or done at the top level.
    private bool End()
    {
        if (parent < 0)
        {
            frame.Phase = JsonSchemaPhase.Done;
            return true;
        }
        frame = stack.Frame(parent);
        parent = stack.Parent(parent);
        depth--;
        return true;
    }
}
