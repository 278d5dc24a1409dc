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
}
