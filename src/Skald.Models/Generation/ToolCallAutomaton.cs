namespace Skald.Models.Generation;

/// <summary>
/// The bytes of an answer of calls (<see cref="ToolCallGrammar"/>), after its lead: a name among the grammar's names
/// with the text that follows it (the names walked as a sorted list, the ones still possible a range of it), then the
/// call's id where the format writes one (<see cref="ToolCallSyntax.IdLength"/> ASCII letters and digits and the text
/// to the arguments, <see cref="ToolCallGrammar.IdEnd"/>), then that
/// function's arguments under its schema's <see cref="JsonSchemaAutomaton"/> (or a <see cref="JsonAutomaton"/> for any
/// object), then the text to the next call's name (when parallel calls are allowed) or to the end, told apart byte by
/// byte. <see cref="Complete"/> when the end's text is written and no next call can follow; <see cref="MayEnd"/> when
/// it is written and a next call still could (the row's end-of-sequence token then decides). A value type whose copy
/// saves it, as <see cref="JsonConstraint{TAutomaton}"/> walks the vocabulary: the schema automata keep their enclosing
/// values in the row's stacks, one per function, which <see cref="Rewind"/> trims.
/// </summary>
internal struct ToolCallAutomaton : IJsonAutomaton
{
    private readonly ToolCallGrammar grammar;
    private readonly JsonSchemaStack?[] stacks; // per function: null for any object
    private Phase phase;
    private int lo, hi;   // Name: the names still possible, [lo, hi) of grammar.Names
    private int at;       // Name: bytes of the name taken; Id: bytes of the id and its end taken; Tail: bytes of the next or end text taken
    private int function; // Id, Arguments: whose
    private bool next, end; // Tail: whether the next call's text, the end's text, are still possible
    private JsonSchemaAutomaton schema;
    private JsonAutomaton any;

    private enum Phase : byte { Name, Id, Arguments, Tail, Done }

    /// <summary>The start of the answer after <paramref name="grammar"/>'s lead: a name; <paramref name="stacks"/>[f] is function f's (null without a schema).</summary>
    public ToolCallAutomaton(ToolCallGrammar grammar, JsonSchemaStack?[] stacks)
    {
        this.grammar = grammar;
        this.stacks = stacks;
        StartName();
    }

    /// <summary>Whether the answer is whole: the end's text written, and no next call may follow.</summary>
    public readonly bool Complete => phase == Phase.Done;

    /// <summary>Whether the answer may end here (the end's text written) though a next call could still follow.</summary>
    public readonly bool MayEnd => phase == Phase.Tail && end && at == grammar.End.Length;

    /// <summary>Inside an argument string, between characters, where the schema lets any content come.</summary>
    public readonly bool BetweenStringCharacters =>
        phase == Phase.Arguments && (stacks[function] is null ? any.BetweenStringCharacters : schema.BetweenStringCharacters);

    /// <summary>Takes <paramref name="b"/> if the answer stays a valid prefix; false if not, and the state is then spoiled.</summary>
    public bool TryAdvance(byte b) => phase switch
    {
        Phase.Name => InName(b),
        Phase.Id => InId(b),
        Phase.Arguments => InArguments(b),
        Phase.Tail => InTail(b),
        _ => false,
    };

    /// <summary>Takes every byte of <paramref name="bytes"/>; false, with the state after the valid part, at the first it refuses.</summary>
    public bool Advance(ReadOnlySpan<byte> bytes) => IJsonAutomaton.AdvanceAll(ref this, bytes);

    /// <summary>
    /// Drops the stack frames only copies pushed: above the current arguments' enclosing frame in their function's
    /// stack, and all of every other function's (no committed state uses them).
    /// </summary>
    public void Rewind()
    {
        for (int f = 0; f < stacks.Length; f++)
        {
            if (phase == Phase.Arguments && f == function && stacks[f] is not null) schema.Rewind();
            else stacks[f]?.Rewind(-1, -1, -1);
        }
    }

    private void StartName()
    {
        phase = Phase.Name;
        lo = 0;
        hi = grammar.Names.Length;
        at = 0;
    }

    // Narrows the names to those whose next byte is b (they share their first `at` bytes, so those are a run); the
    // name whose text ends first is chosen.
    private bool InName(byte b)
    {
        var names = grammar.Names;
        int first = lo;
        while (first < hi && (names[first].Length <= at || names[first][at] != b)) first++;
        if (first == hi) return false;
        int last = first + 1;
        while (last < hi && names[last].Length > at && names[last][at] == b) last++;
        (lo, hi) = (first, last);
        at++;
        if (names[lo].Length == at)
        {
            if (grammar.IdEnd is null) StartArguments(grammar.FunctionOf[lo]);
            else (phase, function, at) = (Phase.Id, grammar.FunctionOf[lo], 0);
        }
        return true;
    }

    // The id's letters and digits, then the text to the arguments.
    private bool InId(byte b)
    {
        var end = grammar.IdEnd!;
        if (at < ToolCallSyntax.IdLength ? !char.IsAsciiLetterOrDigit((char)b) : end[at - ToolCallSyntax.IdLength] != b) return false;
        if (++at == ToolCallSyntax.IdLength + end.Length) StartArguments(function);
        return true;
    }

    private void StartArguments(int f)
    {
        phase = Phase.Arguments;
        function = f;
        if (stacks[f] is { } stack) schema = grammar.Parameters[f]!.Start(stack);
        else any = default;
    }

    private bool InArguments(byte b)
    {
        bool closed;
        if (stacks[function] is null)
        {
            if (!any.TryAdvance(b)) return false;
            closed = any.Complete;
        }
        else
        {
            if (!schema.TryAdvance(b)) return false;
            closed = schema.Complete;
        }
        if (closed)
        {
            phase = Phase.Tail;
            at = 0;
            next = grammar.Parallel;
            end = true;
            Settle();
        }
        return true;
    }

    private bool InTail(byte b)
    {
        bool n = next && at < grammar.Next.Length && grammar.Next[at] == b;
        bool e = end && at < grammar.End.Length && grammar.End[at] == b;
        if (!n && !e) return false;
        (next, end) = (n, e);
        at++;
        if (next && at == grammar.Next.Length) StartName();
        else Settle();
        return true;
    }

    // Done once the end's text is written and no next call can follow it.
    private void Settle()
    {
        if (end && at == grammar.End.Length && !next) phase = Phase.Done;
    }
}
