namespace Skald.Models.Generation;

/// <summary>
/// How to generate (transformers' GenerationConfig subset): <see cref="Temperature"/> 0 is greedy decoding
/// (do_sample=False); otherwise tokens are sampled after the temperature, top-k and top-p warpers.
/// <see cref="RepetitionPenalty"/> applies in both modes.
/// </summary>
public sealed record GenerationOptions
{
    /// <summary>Most tokens to generate per prompt (max_new_tokens).</summary>
    public int MaxNewTokens { get; init; } = 128;

    /// <summary>0: greedy; &gt; 0: sampling at this temperature.</summary>
    public float Temperature { get; init; }

    /// <summary>Keep the k most likely tokens when sampling (0: off).</summary>
    public int TopK { get; init; }

    /// <summary>Keep the most likely tokens whose probabilities add up to this when sampling (1: off).</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>repetition_penalty (1: off).</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>Texts that end a sequence when they appear in its generated text (the text is cut before them).</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>Seed of the sampling generator (row i of the input draws from its own stream, so batching does not change it).</summary>
    public ulong Seed { get; init; }

    /// <summary>End-of-sequence ids (null: the model's, from config.json / generation_config.json).</summary>
    public IReadOnlyList<int>? EosTokenIds { get; init; }

    /// <summary>Whether to keep a KV cache (true) or recompute every step over the whole sequence (false, for tests).</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>
    /// Report each new token's log-probability and this many most likely alternatives (<see cref="TokenLogProbs"/>;
    /// null: none, and a decoding step computes nothing for it).
    /// </summary>
    public int? LogProbs { get; init; }

    /// <summary>
    /// What the text must be: <see cref="OutputFormat.Text"/> (default), a JSON object, or one that validates against
    /// <see cref="Schema"/>, decoded under a grammar constraint (the generator needs its tokenizer's token bytes for that).
    /// </summary>
    public OutputFormat Format { get; init; }

    /// <summary>The compiled schema of <see cref="OutputFormat.JsonSchema"/> (needed with it, unused otherwise).</summary>
    public JsonSchemaGrammar? Schema { get; init; }

    /// <summary>
    /// The calls the text must be (<c>tool_choice: "required"</c>; with <see cref="OutputFormat.Text"/>): decoded under
    /// the grammar's constraint, the prompt ending with its <see cref="ToolCallGrammar.Lead"/>. Null: none.
    /// </summary>
    internal ToolCallGrammar? ToolCalls { get; init; }

    /// <summary>
    /// How this request's ids become its text (null: the generator's, every special token dropped): a chat request with
    /// tools keeps its tool-call format's special tags (<see cref="ToolCallTags"/>) for the parser, and only that
    /// request, so other rows of the same batch, and their stop strings, see the text they always did.
    /// </summary>
    internal Func<IReadOnlyList<int>, string>? Decode { get; init; }

    /// <summary>Whether the options sample (temperature &gt; 0) rather than decode greedily.</summary>
    public bool Sampling => Temperature > 0f;

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the first invalid option in its message and, when given,
    /// <paramref name="paramName"/> (the caller's parameter these options came in) as its <see cref="ArgumentException.ParamName"/>
    /// (which .NET appends to the message; null leaves the message one clause, as a server shows it).
    /// </summary>
    public void Validate(string? paramName = null)
    {
        if (MaxNewTokens < 0) throw new ArgumentException($"max new tokens must be ≥ 0, got {MaxNewTokens}", paramName);
        if (!(Temperature >= 0f) || float.IsInfinity(Temperature)) throw new ArgumentException($"temperature must be ≥ 0, got {Temperature}", paramName);
        if (TopK < 0) throw new ArgumentException($"top-k must be ≥ 0, got {TopK}", paramName);
        if (!(TopP > 0f) || TopP > 1f) throw new ArgumentException($"top-p must be in (0, 1], got {TopP}", paramName);
        if (!(RepetitionPenalty > 0f)) throw new ArgumentException($"the repetition penalty must be positive, got {RepetitionPenalty}", paramName);
        if (LogProbs < 0) throw new ArgumentException($"the number of top log-probabilities must be ≥ 0, got {LogProbs}", paramName);
        if (StopStrings.Any(string.IsNullOrEmpty)) throw new ArgumentException("a stop string is empty", paramName);
        if (!Enum.IsDefined(Format)) throw new ArgumentException($"unknown output format {(int)Format}", paramName);
        if (Format == OutputFormat.JsonSchema && Schema is null) throw new ArgumentException("the JSON schema output format needs a Schema", paramName);
        if (ToolCalls is not null && Format != OutputFormat.Text) throw new ArgumentException("required tool calls are decoded as text, not under a JSON output format", paramName);
    }
}
