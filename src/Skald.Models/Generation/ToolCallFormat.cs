namespace Skald.Models.Generation;

/// <summary>How a model writes the function calls it makes, so that they can be read out of its text.</summary>
public enum ToolCallFormat
{
    /// <summary>It makes none that can be read: tools are refused.</summary>
    None,

    /// <summary>
    /// Hermes' and Qwen's <c>&lt;tool_call&gt;{"name": …, "arguments": {…}}&lt;/tool_call&gt;</c> blocks
    /// (<see cref="HermesToolCallParser"/>; vLLM's <c>--tool-call-parser hermes</c>).
    /// </summary>
    Hermes,

    /// <summary>
    /// Llama 3.1/3.2/3.3's JSON calls, <c>{"name": …, "parameters": {…}}</c>, possibly after <c>&lt;|python_tag|&gt;</c>,
    /// several separated by <c>;</c> (<see cref="Llama3JsonToolCallParser"/>; vLLM's <c>--tool-call-parser llama3_json</c>).
    /// </summary>
    Llama3Json,

    /// <summary>
    /// Mistral's <c>[TOOL_CALLS]</c> followed by a JSON array of <c>{"name": …, "arguments": {…}}</c>
    /// (<see cref="MistralToolCallParser"/>; vLLM's <c>--tool-call-parser mistral</c>).
    /// </summary>
    Mistral,

    /// <summary>
    /// Mistral's calls from tokenizer v11 on (Mistral Small 3.1/3.2, Magistral, Devstral): <c>[TOOL_CALLS]name[ARGS]{…}</c>
    /// per call, some versions with <c>[CALL_ID]id</c> after the name (<see cref="MistralV11ToolCallParser"/>; vLLM's
    /// <c>--tool-call-parser mistral</c> with such a tokenizer).
    /// </summary>
    MistralV11,
}
