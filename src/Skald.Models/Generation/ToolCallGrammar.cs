using System.Text;

namespace Skald.Models.Generation;

/// <summary>
/// What an answer to <c>tool_choice: "required"</c> may be: one or more calls (one when parallel calls are not allowed)
/// in a <see cref="ToolCallFormat"/>, each naming one of the request's functions and giving arguments its
/// <c>parameters</c> schema takes (any JSON object for a function without a schema that compiles). The answer's
/// opening up to the first name (<see cref="Lead"/>) ends the prompt, as a named function's opening does; decoding
/// then runs under <see cref="Constraint"/>: the name chosen among the functions' names, byte by byte, the function's
/// arguments under its schema, then the format's text to the next call's name or to the end. Immutable and built per
/// request; each row gets its own constraint.
/// </summary>
internal sealed class ToolCallGrammar
{
    /// <summary>
    /// The calls of <paramref name="functions"/> (name and compiled parameters, null: any JSON object; a name given twice
    /// keeps its first) in <paramref name="format"/>, several in a row when <paramref name="parallel"/>; each with its
    /// id where the format has one and <paramref name="callIds"/> (the template writes them: <see cref="ToolCallSyntax.IdTag"/>).
    /// </summary>
    public ToolCallGrammar(ToolCallFormat format, IEnumerable<(string Name, JsonSchemaGrammar? Parameters)> functions, bool parallel, bool callIds = false)
    {
        ArgumentNullException.ThrowIfNull(functions);
        var syntax = ToolCallSyntax.Of(format, callIds);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var alternatives = new List<(byte[] Bytes, int Function)>();
        var grammars = new List<JsonSchemaGrammar?>();
        foreach (var (name, parameters) in functions)
        {
            if (string.IsNullOrEmpty(name) || !seen.Add(name)) continue;
            alternatives.Add((Encoding.UTF8.GetBytes(syntax.Name(name) + (syntax.IdTag ?? syntax.NameEnd)), grammars.Count));
            grammars.Add(parameters);
        }
        if (alternatives.Count == 0) throw new ArgumentException("a required call needs at least one function with a name", nameof(functions));
        alternatives.Sort((a, b) => a.Bytes.AsSpan().SequenceCompareTo(b.Bytes));
        Names = [.. alternatives.Select(a => a.Bytes)];
        FunctionOf = [.. alternatives.Select(a => a.Function)];
        Parameters = [.. grammars];
        Lead = syntax.Lead;
        IdEnd = syntax.IdTag is null ? null : Encoding.UTF8.GetBytes(syntax.NameEnd);
        Next = Encoding.UTF8.GetBytes(syntax.Next);
        End = Encoding.UTF8.GetBytes(syntax.End);
        Parallel = parallel;
    }

    /// <summary>The answer's text before the first name: the end of the prompt.</summary>
    public string Lead { get; }

    /// <summary>
    /// Each function's name as written, with the text after it up to the arguments (or, where calls carry an id, up to
    /// the id), in byte order.
    /// </summary>
    internal byte[][] Names { get; }

    /// <summary>The function (index into <see cref="Parameters"/>) of each of <see cref="Names"/>.</summary>
    internal int[] FunctionOf { get; }

    /// <summary>Each function's compiled parameters (null: any JSON object).</summary>
    internal JsonSchemaGrammar?[] Parameters { get; }

    /// <summary>
    /// Where calls carry an id: the bytes from the id (<see cref="ToolCallSyntax.IdLength"/> ASCII letters and digits)
    /// to the arguments; null where they have none.
    /// </summary>
    internal byte[]? IdEnd { get; }

    /// <summary>The bytes from a call's arguments to the next call's name.</summary>
    internal byte[] Next { get; }

    /// <summary>The bytes from the last call's arguments to the end.</summary>
    internal byte[] End { get; }

    /// <summary>Whether more than one call may be written.</summary>
    public bool Parallel { get; }

    /// <summary>
    /// A row's constraint over <paramref name="vocabulary"/>: the end-of-sequence ids <paramref name="eos"/> are let
    /// through only where the answer may end (after a call, when another could follow), and masked everywhere else.
    /// </summary>
    internal ITokenConstraint Constraint(JsonVocabulary vocabulary, IReadOnlyList<int> eos) =>
        new ToolCallConstraint(vocabulary, new ToolCallAutomaton(this, [.. Parameters.Select(p => p?.NewStack())]), eos);
}
