using Microsoft.Extensions.AI;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;
using ChatTemplateException = Skald.Tokenizers.Templates.ChatTemplateException;

namespace Skald.Models.Generation;

/// <summary>
/// How a <see cref="SkaldChatClient"/> makes a request ready to decode: the prompt (the chat template, with the
/// tools; a call's opening after it when the tool choice makes the model call), the generation options (sampling,
/// limits, log-probabilities, the output format or the calls' constraint) and how the answer is read for calls.
/// </summary>
public sealed partial class SkaldChatClient
{
    /// <summary>
    /// The templated conversation's ids, the generation options of a chat request and how its answer is read for calls
    /// (<see cref="ArgumentException"/> for what cannot be answered).
    /// </summary>
    private PreparedChat Prepare(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var turns = ChatToolTurns.Turns(messages, options);
        if (turns.Count == 0) throw new ArgumentException("no messages", nameof(messages));
        Refuse(options);
        var tools = ChatToolTurns.Definitions(options);
        if (tools.Count == 0 && options?.ToolMode is RequiredChatToolMode) // (as OpenAI and vLLM refuse it, not answered as text)
            throw new ChatOptionException("tool_choice \"required\" or a named function needs tools to call: send tools, or leave tool_choice out", "tool_choice");
        bool calls = tools.Count > 0 && options?.ToolMode is not NoneChatToolMode;
        string? forced = calls && options?.ToolMode is RequiredChatToolMode { RequiredFunctionName: { } name } ? name : null;
        bool required = calls && options?.ToolMode is RequiredChatToolMode && forced is null; // a call of the model's choosing
        if (forced is not null && !options!.Tools!.Any(t => t.Name == forced))
            throw new ChatOptionException($"tool_choice names the function {forced}, which is not one of the tools", "tool_choice");
        if (calls && forced is null && !required && options?.ResponseFormat is ChatResponseFormatJson) // (calls made to be made have JSON arguments anyway)
            throw new ChatOptionException("response_format json_object with tools: decoding is held to a JSON object, so the model could never call; " +
                "send tool_choice \"none\" for JSON with the tools shown, or no response_format", "response_format");
        int[] prompt;
        ToolCallGrammar? grammar = null;
        string? forcedId = null;
        try
        {
            // (reading the format may read the template, which can fail as rendering does)
            if (Generator.ChatFormatter is null) // (TextGenerator's own wording is for prompt/ids/messages rows)
                throw new ArgumentException($"chat messages need the model's chat template, and {Generator.TemplateSource} has none: add a chat_template " +
                    "to its tokenizer_config.json or a chat_template.jinja file, or send plain text with CompleteAsync (TextGenerator for raw prompts or ids)");
            if (calls && ToolCallFormat == ToolCallFormat.None)
                throw new ChatOptionException("this model's chat template teaches no tool-call format Skald reads (Hermes <tool_call> blocks, Llama 3.1+ JSON calls, Mistral [TOOL_CALLS]); " +
                    "if the model writes one anyway, set ToolCallParser (skald serve --tool-call-parser hermes|llama3_json|mistral|mistral_v11)", "tools");
            prompt = Generator.Tokenize(new GenerationInput { Messages = turns, Tools = tools.Count > 0 ? tools : null }, Generator.Context)
                ?? throw TooLong("the conversation");
            if (required)
            {
                grammar = new ToolCallGrammar(ToolCallFormat,
                    options!.Tools!.OfType<AIFunctionDeclaration>().Select(f => (f.Name, Parameters(f))), options.AllowMultipleToolCalls != false, WritesCallIds());
            }
            // a named function: the answer starts as its call, and the model writes the arguments, held to a JSON object;
            // required calls: the answer starts as the first call, up to its name
            // (a named function under a template that writes call ids opens with a new id, which its call keeps)
            if (forced is not null && ToolCallSyntax.Of(ToolCallFormat, WritesCallIds()).IdTag is not null) forcedId = ToolCallParsers.NewId(ToolCallFormat);
            string opening = forced is not null ? ToolCallSyntax.Of(ToolCallFormat, forcedId is not null).Opening(forced, forcedId) : grammar?.Lead ?? "";
            if (opening.Length > 0) prompt = [.. prompt, .. Generator.Tokenizer.Encode(opening, addSpecialTokens: false).Ids];
        }
        catch (Exception e) when (e is ChatTemplateException or InvalidOperationException or NotSupportedException)
        {
            throw new ArgumentException(e.Message, e);
        }
        var generation = Generation(prompt, options, "the conversation");
        if (calls && KeepingTags() is { } decode) generation = generation with { Decode = decode };
        if (forced is not null) return new(prompt, ForcedArguments(generation, options!.Tools!, forced), 0, forced, "", forcedId);
        if (grammar is not null)
        {
            return new(prompt, generation with { Format = OutputFormat.Text, Schema = null, ToolCalls = grammar },
                grammar.Parallel ? int.MaxValue : 1, null, grammar.Lead);
        }
        return new(prompt, generation, !calls ? 0 : options?.AllowMultipleToolCalls == false ? 1 : int.MaxValue, null, "");
    }

    // Whether the chat template writes each call's id (Mistral's [CALL_ID]), so that calls the answer is held to carry one.
    private bool WritesCallIds() =>
        Generator.ChatFormatter is ChatTemplateFormatter { } f && MistralV11ToolCallParser.WritesIds(f.Template.Source);

    // A named function's arguments: held to its parameters schema where that compiles (as vLLM's guided decoding
    // uses it), else to any JSON object (a schema with keywords the compiler refuses, such as pattern or oneOf).
    private static GenerationOptions ForcedArguments(GenerationOptions generation, IList<AITool> tools, string name)
    {
        var schema = Parameters(tools.OfType<AIFunctionDeclaration>().First(t => t.Name == name));
        return schema is null
            ? generation with { Format = OutputFormat.JsonObject, Schema = null }
            : generation with { Format = OutputFormat.JsonSchema, Schema = schema };
    }

    // A function's parameters schema compiled, or null where any JSON object goes: no schema, or one with keywords
    // the compiler refuses (as a function without parameters gets).
    private static JsonSchemaGrammar? Parameters(AIFunctionDeclaration function)
    {
        if (function.JsonSchema.ValueKind != System.Text.Json.JsonValueKind.Object) return null;
        try
        {
            return JsonSchemaGrammar.Compile(function.JsonSchema);
        }
        catch (JsonSchemaException)
        {
            return null;
        }
    }

    /// <summary>A plain text prompt's ids and the generation options of a completion request.</summary>
    private PreparedChat PrepareText(string prompt, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        if (options?.Tools is { Count: > 0 }) throw new ChatOptionException("tools are for chat requests; a plain text completion calls no functions", "tools");
        Refuse(options);
        var ids = Generator.Tokenize(GenerationInput.FromPrompt(prompt), Generator.Context) ?? throw TooLong("the prompt");
        if (ids.Length == 0) throw new PromptRefusedException("the prompt has no tokens (this tokenizer adds none to an empty text)");
        return new(ids, Generation(ids, options, "the prompt"), 0, null, "");
    }

    // The tool-call format's tags that the tokenizer marks special: kept in the generated text of the requests the
    // parser reads (those with tools), hidden from any content.
    private ToolCallTags Tags => tags.Value;

    // How a request with tools decodes its ids: keeping the format's special tags (null: the tokenizer marks none special).
    private Func<IReadOnlyList<int>, string>? KeepingTags()
    {
        if (Tags.Kept.Count == 0) return null;
        var kept = Tags.Kept;
        var tokenizer = Generator.Tokenizer;
        return keeping ??= ids => tokenizer.DecodeKeeping(ids, kept);
    }

    private ToolCallTags ReadTags()
    {
        try
        {
            return ToolCallTags.Of(ToolCallFormat, Generator.Tokenizer);
        }
        catch (Exception e) when (e is ChatTemplateException or InvalidOperationException or NotSupportedException)
        {
            return ToolCallTags.None; // a template that cannot be read: every request says so as it renders
        }
    }

    // What the model cannot do, whatever the prompt.
    private static void Refuse(ChatOptions? options)
    {
        if (options?.FrequencyPenalty is float fp && fp != 0)
            throw new ChatOptionException("frequency_penalty is not supported; use repetition_penalty (transformers')", "frequency_penalty");
        if (options?.PresencePenalty is float pp && pp != 0)
            throw new ChatOptionException("presence_penalty is not supported; use repetition_penalty (transformers')", "presence_penalty");
    }

    // A prompt (or conversation) of more tokens than the context, found after tokenizing only as much of it as that takes.
    private PromptRefusedException TooLong(string what) =>
        new($"{what} is more than {Generator.Context} tokens; this model's context is {Generator.Context}", exceedsContext: true);

    // The generation options of a request for `prompt` (`what` names it in the message when it leaves no room).
    private GenerationOptions Generation(int[] prompt, ChatOptions? options, string what)
    {
        int room = Generator.Context - prompt.Length;
        if (room < 1)
            throw new PromptRefusedException($"{what} is {prompt.Length} tokens; this model's context is {Generator.Context}", exceedsContext: true);
        int max = options?.MaxOutputTokens ?? Math.Min(DefaultMaxOutputTokens, room);
        string lengthField = options?.AdditionalProperties?.TryGetValue(LengthFieldProperty, out var lf) == true && lf is string named ? named : "max_tokens";
        if (max < 1) throw new ChatOptionException($"{lengthField} must be at least 1, got {max}", lengthField);
        if (max > room)
        {
            throw new PromptRefusedException($"{lengthField} {max}: {prompt.Length} prompt tokens + {max} new tokens is more than this model's context of " +
                $"{Generator.Context} (at most {room} here)", lengthField, exceedsContext: true);
        }
        float repetition = 1f;
        if (options?.AdditionalProperties?.TryGetValue("repetition_penalty", out var rp) == true)
            repetition = rp is float f ? f : rp is double d ? (float)d : throw new ChatOptionException("repetition_penalty must be a number", "repetition_penalty");
        if (!(repetition is >= MinRepetitionPenalty and <= MaxRepetitionPenalty))
            throw new ChatOptionException($"repetition_penalty must be from {MinRepetitionPenalty:R} to {MaxRepetitionPenalty:R}, got {repetition:R}", "repetition_penalty");
        int? top = null;
        if (options?.AdditionalProperties?.TryGetValue(LogProbsProperty, out var lp) == true && lp is not null)
        {
            top = lp is int i ? i : lp is long l && l is >= 0 and <= int.MaxValue ? (int)l
                : throw new ChatOptionException($"{LogProbsProperty} must be a number of top log-probabilities (an int ≥ 0)", "logprobs");
            if (top < 0) throw new ChatOptionException($"the number of top log-probabilities must be ≥ 0, got {top}", "logprobs");
        }
        // OpenAI's ranges, each refused naming its field (the generator's own check would name none)
        if (options?.Temperature is float t && !(t >= 0f && float.IsFinite(t)))
            throw new ChatOptionException($"temperature must be a number ≥ 0, got {t:R}", "temperature");
        if (options?.TopK is int k && k < 0) throw new ChatOptionException($"top_k must be ≥ 0, got {k}", "top_k");
        if (options?.TopP is float p && !(p > 0f && p <= 1f)) throw new ChatOptionException($"top_p must be in (0, 1], got {p:R}", "top_p");
        if (options?.StopSequences?.Any(string.IsNullOrEmpty) == true) throw new ChatOptionException("a stop sequence is empty", "stop");
        var generation = new GenerationOptions
        {
            MaxNewTokens = max,
            Temperature = options?.Temperature ?? 1f,
            TopK = options?.TopK ?? 0,
            TopP = options?.TopP ?? 1f,
            RepetitionPenalty = repetition,
            StopStrings = options?.StopSequences is { } stops ? [.. stops] : [],
            Seed = options?.Seed is long seed ? unchecked((ulong)seed) : (ulong)Random.Shared.NextInt64(),
            LogProbs = top,
            Format = options?.ResponseFormat is ChatResponseFormatJson json ? json.Schema is null ? OutputFormat.JsonObject : OutputFormat.JsonSchema : OutputFormat.Text,
            Schema = Schema(options?.ResponseFormat),
        };
        generation.Validate();
        return generation;
    }
}
