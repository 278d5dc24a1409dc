using System.Text.Json;

namespace Skald.Models.Generation;

/// <summary>
/// The fixed text of a <see cref="ToolCallFormat"/>'s calls, around the parts the model chooses (a function's name
/// and its arguments' object): what the answer opens with before the first name, what follows each name up to the
/// arguments, what leads from one call's arguments to the next call's name, and what closes the last call. A named
/// function's answer opens with <see cref="Opening"/>; <c>tool_choice: "required"</c> decodes under
/// <see cref="ToolCallGrammar"/>, which writes the rest of this text around the model's choices.
/// </summary>
/// <param name="Lead">The answer's text before the first call's name (e.g. <c>&lt;tool_call&gt;\n{"name": "</c>).</param>
/// <param name="NameEnd">The text after a name, up to the arguments' object (e.g. <c>", "arguments": </c>).</param>
/// <param name="Next">The text from a call's arguments to the next call's name (e.g. <c>}, {"name": "</c>).</param>
/// <param name="End">The text from the last call's arguments to the end of the answer (e.g. <c>}]</c>; may be empty).</param>
/// <param name="JsonName">Whether a name is written inside a JSON string (escaped), or as it is.</param>
/// <param name="IdTag">
/// Where calls carry their id: the text between a name and its id, which is <see cref="IdLength"/> ASCII letters and
/// digits followed by <paramref name="NameEnd"/> (Mistral's <c>[CALL_ID]</c>); null where calls have no id.
/// </param>
internal sealed record ToolCallSyntax(string Lead, string NameEnd, string Next, string End, bool JsonName, string? IdTag = null)
{
    /// <summary>How many ASCII letters and digits a call's id is, where <see cref="IdTag"/> writes one (Mistral's templates require 9).</summary>
    public const int IdLength = 9;

    /// <summary>Hermes' blocks, one per call, a newline between them.</summary>
    public static ToolCallSyntax Hermes { get; } = new(
        HermesToolCallParser.Open + "\n{\"name\": \"", "\", \"arguments\": ",
        "}\n" + HermesToolCallParser.Close + "\n" + HermesToolCallParser.Open + "\n{\"name\": \"", "}\n" + HermesToolCallParser.Close, JsonName: true);

    /// <summary>Llama's JSON objects, separated by <c>; </c>.</summary>
    public static ToolCallSyntax Llama3Json { get; } = new("{\"name\": \"", "\", \"parameters\": ", "}; {\"name\": \"", "}", JsonName: true);

    /// <summary>Mistral's tag and one JSON array of the calls.</summary>
    public static ToolCallSyntax Mistral { get; } = new(
        MistralToolCallParser.Tag + "[{\"name\": \"", "\", \"arguments\": ", "}, {\"name\": \"", "}]", JsonName: true);

    /// <summary>Mistral's newer calls (tokenizer v11+): the tag, the name, <c>[ARGS]</c> and the arguments, per call.</summary>
    public static ToolCallSyntax MistralV11 { get; } = new(
        MistralV11ToolCallParser.Tag, MistralV11ToolCallParser.Args, MistralV11ToolCallParser.Tag, "", JsonName: false);

    /// <summary>
    /// Mistral's newer calls with their ids, as the v11 templates that write <c>[CALL_ID]</c> teach them
    /// (<c>[TOOL_CALLS]name[CALL_ID]id[ARGS]{...}</c>, the id 9 letters and digits).
    /// </summary>
    public static ToolCallSyntax MistralV11Ids { get; } = MistralV11 with { IdTag = MistralV11ToolCallParser.CallId };

    /// <summary>
    /// The syntax of <paramref name="format"/> (Hermes' for <see cref="ToolCallFormat.None"/>, as a parser set by hand
    /// reads); <paramref name="callIds"/>: the template writes each call's id where the format has one
    /// (<see cref="MistralV11ToolCallParser.WritesIds"/>).
    /// </summary>
    public static ToolCallSyntax Of(ToolCallFormat format, bool callIds = false) => format switch
    {
        ToolCallFormat.Llama3Json => Llama3Json,
        ToolCallFormat.Mistral => Mistral,
        ToolCallFormat.MistralV11 => callIds ? MistralV11Ids : MistralV11,
        _ => Hermes,
    };

    /// <summary><paramref name="function"/> as a call writes it (inside a JSON string, escaped, when <see cref="JsonName"/>).</summary>
    public string Name(string function) => JsonName ? JsonSerializer.Serialize(function)[1..^1] : function;

    /// <summary>
    /// The text a call of <paramref name="function"/> opens the answer with, up to its arguments' object; with
    /// <paramref name="id"/> (where <see cref="IdTag"/> is set) the id written after the name.
    /// </summary>
    public string Opening(string function, string? id = null) =>
        Lead + Name(function) + (IdTag is not null && id is not null ? IdTag + id : "") + NameEnd;
}
