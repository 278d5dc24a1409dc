namespace Skald.Models.Generation;

/// <summary>
/// A pushdown automaton over the bytes of a JSON text whose top level is an object (OpenAI's <c>json_object</c>): it
/// accepts a byte exactly when the bytes so far are still a prefix that some continuation makes a valid JSON object
/// (RFC 8259: objects, arrays, strings with escapes including \uXXXX, numbers, true/false/null, whitespace), and is
/// <see cref="Complete"/> when the top-level object has closed; after that no byte is accepted, trailing whitespace
/// included. Two limits keep a model from running on: at most <see cref="MaxWhitespace"/> whitespace bytes in a row,
/// and at most <see cref="MaxDepth"/> nested objects and arrays (System.Text.Json's default limit). Inside strings the
/// bytes ≥ 0x80 must be well-formed UTF-8 (no overlong forms, encoded surrogates or code points past U+10FFFF), so a
/// string never ends inside a character; an escaped lone surrogate (\uD800) is let through, as most parsers do. A value type of 16 bytes: copying it saves a state, which is
/// how <see cref="JsonConstraint{TAutomaton}"/> walks the vocabulary trie without allocating.
/// </summary>
internal struct JsonAutomaton : IJsonAutomaton
{
    /// <summary>Most nested objects and arrays (System.Text.Json's default MaxDepth).</summary>
    public const int MaxDepth = 64;

    /// <summary>Most whitespace bytes in a row (llama.cpp's JSON grammar bounds them too).</summary>
    public const int MaxWhitespace = 8;

    private static readonly byte[][] Literals = ["true"u8.ToArray(), "false"u8.ToArray(), "null"u8.ToArray()];

    private ulong arrays;   // bit d: the container at depth d + 1 is an array (clear: an object)
    private byte depth;     // open containers
    private Mode mode;
    private byte whitespace; // whitespace bytes in a row
    private byte count;     // hex digits left after \u; a literal's next byte; UTF-8 continuation bytes due
    private byte literal;   // which of true, false, null
    private bool key;       // the string is an object's key
    private byte lead;      // in a string: the lead byte whose first continuation byte is due, else 0

    private enum Mode : byte
    {
        Start, ObjectOpen, KeyNext, Colon, ValueNext, ArrayOpen, AfterValue,
        String, Escape, Hex, Minus, Zero, Int, Dot, Frac, ExpMark, ExpSign, Exp, Literal, Done,
    }

    /// <summary>Whether the top-level object has closed (only the end of the text may follow).</summary>
    public readonly bool Complete => mode == Mode.Done;

    /// <summary>
    /// Whether the text is inside a string and not inside a character or an escape: any well-formed UTF-8 without a
    /// quote, a backslash or a control byte may follow, and leaves this state as it is.
    /// </summary>
    public readonly bool BetweenStringCharacters => mode == Mode.String && count == 0;

    /// <summary>
    /// Takes <paramref name="b"/> if the text stays a valid prefix of a JSON object; false if not, and then the state is
    /// spoiled (for a caller that drops it: the trie walk of <see cref="JsonConstraint{TAutomaton}"/>, which works on copies).
    /// </summary>
    public bool TryAdvance(byte b) => Step(b);

    /// <summary>Nothing to drop: the whole state is in the value.</summary>
    public readonly void Rewind()
    {
    }

    /// <summary>Takes <paramref name="b"/> if the text stays a valid prefix of a JSON object; false (unchanged state) if not.</summary>
    public bool Advance(byte b)
    {
        var saved = this;
        if (Step(b)) return true;
        this = saved;
        return false;
    }

    /// <summary>Takes every byte of <paramref name="bytes"/>; false, with the state after the valid part, at the first it refuses.</summary>
    public bool Advance(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
        {
            if (!Advance(b)) return false;
        }
        return true;
    }

    private bool Step(byte b)
    {
        switch (mode)
        {
            case Mode.String: return InString(b);
            case Mode.Escape:
                if (b == 'u')
                {
                    mode = Mode.Hex;
                    count = 4;
                    return true;
                }
                if (b is (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t')
                {
                    mode = Mode.String;
                    return true;
                }
                return false;
            case Mode.Hex:
                if (!char.IsAsciiHexDigit((char)b)) return false;
                if (--count == 0) mode = Mode.String;
                return true;
            case Mode.Literal:
                var word = Literals[literal];
                if (b != word[count]) return false;
                if (++count == word.Length) mode = Mode.AfterValue;
                return true;
            case Mode.Minus:
                return Digit(b, b == '0' ? Mode.Zero : Mode.Int);
            case Mode.Dot:
                return Digit(b, Mode.Frac);
            case Mode.ExpMark:
                if (b is (byte)'+' or (byte)'-')
                {
                    mode = Mode.ExpSign;
                    return true;
                }
                return Digit(b, Mode.Exp);
            case Mode.ExpSign:
                return Digit(b, Mode.Exp);
            case Mode.Zero or Mode.Int or Mode.Frac or Mode.Exp:
                if (char.IsAsciiDigit((char)b) && mode != Mode.Zero) return true;
                if (b == '.' && mode is Mode.Zero or Mode.Int)
                {
                    mode = Mode.Dot;
                    return true;
                }
                if (b is (byte)'e' or (byte)'E' && mode != Mode.Exp)
                {
                    mode = Mode.ExpMark;
                    return true;
                }
                mode = Mode.AfterValue; // the number ended: b is what follows it
                return Structural(b);
            case Mode.Done:
                return false;
            default:
                return Structural(b);
        }
    }

    // Outside strings, numbers and literals: whitespace, punctuation, or the start of a value.
    private bool Structural(byte b)
    {
        if (b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            if (whitespace == MaxWhitespace) return false;
            whitespace++;
            return true;
        }
        whitespace = 0;
        switch (mode)
        {
            case Mode.Start:
                return b == '{' && Open(array: false);
            case Mode.ObjectOpen or Mode.KeyNext:
                if (b == '"')
                {
                    (mode, key, count) = (Mode.String, true, 0);
                    return true;
                }
                return b == '}' && mode == Mode.ObjectOpen && Close();
            case Mode.Colon:
                if (b != ':') return false;
                mode = Mode.ValueNext;
                return true;
            case Mode.ValueNext or Mode.ArrayOpen:
                if (b == ']' && mode == Mode.ArrayOpen) return Close();
                return Value(b);
            case Mode.AfterValue:
                bool inArray = (arrays >> (depth - 1) & 1) != 0;
                if (b == ',')
                {
                    mode = inArray ? Mode.ValueNext : Mode.KeyNext;
                    return true;
                }
                return (b == (inArray ? ']' : '}')) && Close();
            default:
                return false;
        }
    }

    // The first byte of a value.
    private bool Value(byte b)
    {
        switch (b)
        {
            case (byte)'{': return Open(array: false);
            case (byte)'[': return Open(array: true);
            case (byte)'"':
                (mode, key, count) = (Mode.String, false, 0);
                return true;
            case (byte)'-':
                mode = Mode.Minus;
                return true;
            case (byte)'0':
                mode = Mode.Zero;
                return true;
            case >= (byte)'1' and <= (byte)'9':
                mode = Mode.Int;
                return true;
            case (byte)'t' or (byte)'f' or (byte)'n':
                (mode, literal, count) = (Mode.Literal, (byte)(b == 't' ? 0 : b == 'f' ? 1 : 2), 1);
                return true;
            default:
                return false;
        }
    }

    private bool Digit(byte b, Mode next)
    {
        if (!char.IsAsciiDigit((char)b)) return false;
        mode = next;
        return true;
    }

    private bool Open(bool array)
    {
        if (depth == MaxDepth) return false;
        arrays = array ? arrays | 1UL << depth : arrays & ~(1UL << depth);
        depth++;
        mode = array ? Mode.ArrayOpen : Mode.ObjectOpen;
        return true;
    }

    private bool Close()
    {
        depth--;
        mode = depth == 0 ? Mode.Done : Mode.AfterValue;
        return true;
    }

    // A byte of a string's content, its closing quote or the start of an escape; count is the UTF-8 continuation bytes due.
    private bool InString(byte b)
    {
        if (b >= 0x80) return JsonUtf8.Take(b, ref count, ref lead);
        if (count != 0 || b < 0x20) return false;
        if (b == '"') mode = key ? Mode.Colon : Mode.AfterValue;
        else if (b == '\\') mode = Mode.Escape;
        return true;
    }
}
