namespace Skald.Models.Generation;

/// <summary>What a generated text must be (OpenAI's <c>response_format</c>).</summary>
public enum OutputFormat
{
    /// <summary>Any text (the default: decoding is not constrained).</summary>
    Text,

    /// <summary>
    /// A JSON object (<c>{"type": "json_object"}</c>): tokens that would make the text an invalid prefix of one are
    /// masked before each choice, and the row ends when the object closes (<see cref="JsonConstraint{TAutomaton}"/>). A row that
    /// runs out of tokens first ends with <see cref="FinishReason.Length"/> and the text so far.
    /// </summary>
    JsonObject,

    /// <summary>
    /// A JSON object that validates against a schema (<c>{"type": "json_schema"}</c>, OpenAI's structured outputs):
    /// decoded as <see cref="JsonObject"/> is, under the automaton of <see cref="GenerationOptions.Schema"/>.
    /// </summary>
    JsonSchema,
}
