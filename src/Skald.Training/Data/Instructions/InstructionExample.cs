namespace Skald.Training.Data.Instructions;

/// <summary>
/// One supervised fine-tuning row before formatting: an Alpaca row (<see cref="Instruction"/>, optional
/// <see cref="Input"/>) or a chat row (<see cref="History"/>: every turn before the last assistant turn), and the
/// <see cref="Response"/> the model learns to write (Alpaca's <c>output</c>, the last assistant turn's content).
/// </summary>
public sealed record InstructionExample
{
    /// <summary>Alpaca's <c>instruction</c> (null for a chat row).</summary>
    public string? Instruction { get; init; }

    /// <summary>Alpaca's <c>input</c> (null or empty: none).</summary>
    public string? Input { get; init; }

    /// <summary>Chat rows: the turns before the response (null for an Alpaca row).</summary>
    public IReadOnlyList<InstructionMessage>? History { get; init; }

    /// <summary>The target text.</summary>
    public required string Response { get; init; }

    /// <summary>The conversation up to the response: the chat history, or an Alpaca row as one user turn (instruction, blank line, input).</summary>
    public IReadOnlyList<InstructionMessage> Turns => History ??
        [new InstructionMessage("user", string.IsNullOrEmpty(Input) ? Instruction ?? "" : $"{Instruction}\n\n{Input}")];
}
