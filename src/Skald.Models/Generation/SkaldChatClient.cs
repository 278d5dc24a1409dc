using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.AI;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;
using ChatTemplateException = Skald.Tokenizers.Templates.ChatTemplateException;

namespace Skald.Models.Generation;

/// <summary>
/// A local decoder LLM as Microsoft.Extensions.AI's <see cref="IChatClient"/>: messages are written with the model's chat
/// template and answered by <see cref="TextGenerator"/>; requests that arrive together are decoded together as one batch
/// (<see cref="MaxBatchSize"/>), and a request that arrives while a batch decodes joins it in a free row between two
/// steps when it fits (continuous batching: <see cref="MaxBatchTokens"/>; its prompt prefilled in chunks between steps,
/// <see cref="PrefillChunk"/>), each with its own options and seed (its
/// tokens are what it would get alone up to the order of floating-point sums: batch mates can tip a near tie). Options follow
/// OpenAI's chat completions: no <see cref="ChatOptions.Temperature"/> means 1 (sampling; 0 is greedy), no
/// <see cref="ChatOptions.Seed"/> a fresh seed per request, no <see cref="ChatOptions.MaxOutputTokens"/>
/// <see cref="DefaultMaxOutputTokens"/> (at most what the context leaves). <see cref="ChatOptions.TopK"/>,
/// <see cref="ChatOptions.TopP"/> and <see cref="ChatOptions.StopSequences"/> are honoured; a
/// <c>repetition_penalty</c> in <see cref="ChatOptions.AdditionalProperties"/> is transformers'. An int under
/// <see cref="LogProbsProperty"/> there asks for each token's log-probability and that many most likely alternatives
/// (<see cref="TokenLogProbs"/>, under the same key in the answer's and each update's AdditionalProperties).
/// <see cref="ChatResponseFormat.Json"/> constrains decoding to a JSON object (<see cref="OutputFormat.JsonObject"/>:
/// the answer ends where the object closes, or with <see cref="ChatFinishReason.Length"/> when it runs out of tokens
/// first); <see cref="ChatResponseFormat.ForJsonSchema(System.Text.Json.JsonElement, string?, string?)"/> to an object
/// that validates against the schema (<see cref="OutputFormat.JsonSchema"/>; a schema <see cref="JsonSchemaGrammar"/>
/// cannot compile is a <see cref="ChatOptionException"/> naming response_format). <see cref="ChatOptions.Tools"/> (functions) are shown to the model through its chat template's <c>tools</c>
/// and the calls it writes are read out of its answer (<see cref="ToolCallParser"/>, <see cref="ToolCallParsers"/>)
/// as <see cref="FunctionCallContent"/> with <see cref="ChatFinishReason.ToolCalls"/>, so that Microsoft.Extensions.AI's
/// FunctionInvokingChatClient can call them (only the first when <see cref="ChatOptions.AllowMultipleToolCalls"/> is
/// false; a named function, <see cref="ChatToolMode.RequireSpecific"/>, is called, the model writing its arguments as a
/// JSON object after the call's opening; with <see cref="ChatToolMode.RequireAny"/> the answer is decoded as calls,
/// the model choosing each function among the tools and writing arguments its schema takes, <see cref="ToolCallGrammar"/>);
/// <see cref="FunctionCallContent"/> and <see cref="FunctionResultContent"/> in
/// the conversation are rendered as the template's <c>tool_calls</c> and <c>tool</c> turns. What it cannot do — non-text
/// content, JSON mode beside tools it may call, frequency or presence penalties (a
/// <see cref="ChatOptionException"/> naming the field), — is an <see cref="ArgumentException"/>, as is a
/// conversation longer than the model's context or leaving less room than max tokens asks (a
/// <see cref="PromptRefusedException"/>: refused for the prompt, not the options). <see cref="CompleteAsync"/>
/// continues plain text without the template (OpenAI's legacy completions).
/// <code>
/// using IChatClient chat = SkaldChatClient.Load("models/my-sft-model"); // owns its generator: disposed with it
/// var answer = await chat.GetResponseAsync("Hva er hovedstaden i Norge?", new ChatOptions { Temperature = 0 });
/// </code>
/// </summary>
public sealed partial class SkaldChatClient : IChatClient
{
    private readonly ChatClientMetadata metadata;
    private readonly ChatBatchQueue queue;
    private readonly int prefillChunk = 512;
    private readonly Lazy<ToolCallTags> tags; // the tool-call format's special tags, read once
    private Func<IReadOnlyList<int>, string>? keeping; // the decoding of requests with tools that keeps them

    /// <summary>Wraps <paramref name="generator"/>; <paramref name="modelId"/> names it in responses (default "skald").</summary>
    public SkaldChatClient(TextGenerator generator, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        Generator = generator;
        ModelId = modelId ?? "skald";
        metadata = new ChatClientMetadata("skald", null, ModelId);
        queue = new ChatBatchQueue(this);
        tags = new Lazy<ToolCallTags>(ReadTags);
    }

    /// <summary>
    /// The key of <see cref="ChatOptions.AdditionalProperties"/> that asks for log-probabilities (an int: how many most
    /// likely alternatives per token, 0 or more), and of the AdditionalProperties of a <see cref="ChatResponse"/> or
    /// <see cref="ChatResponseUpdate"/> that carries them (an <see cref="IReadOnlyList{T}"/> of <see cref="TokenLogProbs"/>,
    /// one per generated token; an update carries those of the tokens whose text it brings, and the last one those of
    /// any token left, such as an end-of-sequence token).
    /// </summary>
    public const string LogProbsProperty = "logprobs";

    /// <summary>
    /// The smallest and largest <c>repetition_penalty</c> a request may ask for. transformers and vLLM take any positive
    /// number, but a tiny one divides a seen token's logit past float's range (1e-44 made every seen token +∞); within
    /// [1e-6, 1e6] a logit below 3e32 stays finite.
    /// </summary>
    public const float MinRepetitionPenalty = 1e-6f, MaxRepetitionPenalty = 1e6f;

    /// <summary>
    /// The key of <see cref="ChatOptions.AdditionalProperties"/> that names the request field the length limit came
    /// from (a string: <c>max_completion_tokens</c> where a chat request gave that), so that a limit past the context is
    /// refused naming it; <c>max_tokens</c> without it.
    /// </summary>
    public const string LengthFieldProperty = "skald.length_field";

    /// <summary>The generator that answers.</summary>
    public TextGenerator Generator { get; }

    /// <summary>The model id in responses.</summary>
    public string ModelId { get; }

    /// <summary>Most new tokens when a request gives no <see cref="ChatOptions.MaxOutputTokens"/> (default 512).</summary>
    public int DefaultMaxOutputTokens { get; init; } = 512;

    /// <summary>Most requests decoded together in one batch (default 8; 1: one at a time).</summary>
    public int MaxBatchSize { get; init; } = 8;

    /// <summary>
    /// Most positions a batch may hold, rows × (longest prompt + most new tokens), which sizes its KV cache and padded
    /// prefill (default 16384); a request beyond it waits for a later batch (one request alone always runs). The cache
    /// is allocated with room for requests that join the batch while it decodes: per row the batch's own need or, when
    /// larger, MaxBatchTokens / (<see cref="MaxBatchSize"/> + 1) columns (at most the context), and as many rows as the
    /// budget then holds beside one more row of them, up to <see cref="MaxBatchSize"/>; what it leaves of the budget (at
    /// least that row) is the cache the joining prompts are prefilled in, rows × longest prompt of a pass, so that the
    /// two together stay within it (prompts that would not fit it join at later steps). A waiting request joins when a row is free, its prompt is no longer
    /// than the columns filled so far and its max tokens fit in the columns left. The one waiting longest goes first; when
    /// it does not fit, a later one that fits joins if it ends no later than the batch's requests still decoding may, so
    /// that the batch does not last longer for it: the one passed over starts the next batch.
    /// </summary>
    public int MaxBatchTokens { get; init; } = 16384;

    /// <summary>
    /// Most prompt tokens of joining requests prefilled between two decoding steps (default 512; 0: each joining prompt
    /// whole): a longer prompt joins in chunks, one between two steps, so the requests already decoding keep producing
    /// tokens instead of stalling for its whole prefill (chunked prefill, as vLLM does); it decodes from the step after its
    /// last chunk. A negative value is an <see cref="ArgumentOutOfRangeException"/>.
    /// </summary>
    public int PrefillChunk
    {
        get => prefillChunk;
        init => prefillChunk = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(PrefillChunk), value, "a prefill chunk is 0 (off) or more tokens");
    }

    /// <summary>
    /// Most positions the KV caches hold, a batch's and the one its joining prompts are prefilled in beside it together:
    /// <see cref="MaxBatchTokens"/>, or twice <see cref="MaxBatchSize"/> × the model's context when that is less (each
    /// cache at most every row's whole context); a single request beyond the budget, which runs alone, excepted (with a
    /// <see cref="MaxBatchSize"/> above 1 its cache is let go once it is done; with 1 it is kept for the next request).
    /// </summary>
    public long KvCachePositions => Math.Min(MaxBatchTokens, 2L * Math.Max(1, MaxBatchSize) * Generator.Context);

    /// <summary>Most requests waiting for a batch; one more is a <see cref="GenerationBusyException"/> (default 256).</summary>
    public int MaxQueue { get; init; } = 256;

    /// <summary>How long the first waiting request waits for others to join its batch (default 5 ms).</summary>
    public TimeSpan BatchWait { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Requests waiting or being answered.</summary>
    public int Pending => queue.Pending;

    /// <summary>Of <see cref="Pending"/>, the requests still waiting for a batch.</summary>
    public int Queued => queue.Queued;

    /// <summary>
    /// Of <see cref="Pending"/>, the requests being decoded: counted in as they leave the queue for a batch and out before
    /// their task completes, however they end (answered, cancelled, caller gone, failed).
    /// </summary>
    public int Running => queue.Running;

    /// <summary>The most requests decoded at once so far (a batch's first requests and those that joined it).</summary>
    public int LargestBatch => queue.LargestBatch;

    /// <summary>Requests that joined a batch already decoding, so far (continuous batching).</summary>
    public int JoinedRequests => queue.Joined;

    /// <summary>For tests: called on the decoding thread each time a free row of a running batch is offered to the queue.</summary>
    internal Action? OfferingRow { get; init; }

    /// <summary>For tests: called on the decoding thread as each batch taken from the queue begins, before its cache is sized.</summary>
    internal Action? DecodingBatch { get; init; }

    /// <summary>For tests: called on the cancelling thread when a cancelled request has left the queue, before its task is cancelled.</summary>
    internal Action? LeftQueue { get; init; }

    /// <summary>For tests: answers every request with the text this gives for its prompt's text, instead of generating (<see cref="ScriptedAnswers"/>).</summary>
    internal Func<string, string>? Scripted { get; init; }

    /// <summary>
    /// How the model writes the function calls it makes, read out of its answers when a request has tools (vLLM's
    /// <c>--tool-call-parser</c>). Null (default): as its chat template teaches (<see cref="ToolCallParsers.Detect"/>):
    /// <see cref="ToolCallFormat.Hermes"/> for <c>&lt;tool_call&gt;</c> (Qwen2.5, Qwen3, Hermes),
    /// <see cref="ToolCallFormat.MistralV11"/> for <c>[TOOL_CALLS]</c> with <c>[ARGS]</c>,
    /// <see cref="ToolCallFormat.Mistral"/> for <c>[TOOL_CALLS]</c>, <see cref="ToolCallFormat.Llama3Json"/> for
    /// Llama 3.1+'s JSON calls, otherwise <see cref="ToolCallFormat.None"/>, and a request with tools is refused.
    /// </summary>
    public ToolCallFormat? ToolCallParser { get; init; }

    /// <summary>The tool-call format in use: <see cref="ToolCallParser"/>, or the one the chat template teaches.</summary>
    public ToolCallFormat ToolCallFormat => ToolCallParser ?? (Generator.ChatFormatter is ChatTemplateFormatter { } f
        ? ToolCallParsers.Detect(f.Template.Source) : ToolCallFormat.None);

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        AnswerAsync(() => Prepare(messages, options), "chatcmpl-", cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// Text arrives as it is generated, held back only where it is or could still become a stop sequence; the
    /// last update carries the finish reason and a <see cref="UsageContent"/>.
    /// </remarks>
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        StreamAsync(() => Prepare(messages, options), "chatcmpl-", cancellationToken);

    /// <summary>
    /// Continues <paramref name="prompt"/> as plain text, without the chat template (OpenAI's legacy completions,
    /// <c>POST /v1/completions</c>): it is tokenized with the tokenizer's special tokens, as <c>skald generate</c> reads a
    /// <c>{"prompt": ...}</c> row, and decoded with the options, defaults, batches and queue of a chat request
    /// (<see cref="ChatOptions.Instructions"/> does not apply). The answer's text is the continuation alone.
    /// </summary>
    public Task<ChatResponse> CompleteAsync(string prompt, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        AnswerAsync(() => PrepareText(prompt, options), "cmpl-", cancellationToken);

    /// <summary>
    /// <see cref="CompleteAsync"/> as it is generated, held back around stop sequences as
    /// <see cref="GetStreamingResponseAsync"/> is; the last update carries the finish reason and a <see cref="UsageContent"/>.
    /// </summary>
    public IAsyncEnumerable<ChatResponseUpdate> CompleteStreamingAsync(string prompt, ChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        StreamAsync(() => PrepareText(prompt, options), "cmpl-", cancellationToken);

    // Prepared and queued before the first await: what it cannot answer, or a full queue, faults the task at once.
    private async Task<ChatResponse> AnswerAsync(Func<PreparedChat> prepare, string idPrefix,
        CancellationToken cancellationToken)
    {
        int most = 0;
        string? forced = null, forcedId = null;
        string lead = "";
        var result = await Admit(() =>
        {
            (var prompt, var generation, most, forced, lead, forcedId) = prepare();
            return RunAsync(prompt, generation, null, null, cancellationToken);
        }).ConfigureAwait(false);
        var message = new ChatMessage(ChatRole.Assistant, Tags.Hide(result.Text));
        var finish = Reason(result.FinishReason);
        if (forced is not null)
        {
            var contents = ForcedCall(forced, forcedId, result);
            message = new ChatMessage(ChatRole.Assistant, contents);
        }
        else if (most > 0)
        {
            var (content, calls) = ToolCallParsers.Parse(ToolCallFormat, lead + result.Text);
            if (calls.Count > most) calls = [.. calls.Take(most)]; // parallel calls not allowed: the first alone, as vLLM
            message = new ChatMessage(ChatRole.Assistant, ChatToolTurns.Contents(content is null ? null : Tags.Hide(content), calls));
            if (calls.Count > 0) finish = ChatFinishReason.ToolCalls;
        }
        return new ChatResponse(message)
        {
            ResponseId = NewId(idPrefix),
            ModelId = ModelId,
            CreatedAt = DateTimeOffset.UtcNow,
            FinishReason = finish,
            Usage = Usage(result),
            AdditionalProperties = result.LogProbs is { } logProbs ? new() { [LogProbsProperty] = logProbs } : null,
        };
    }

    // The request is prepared and queued by the first MoveNextAsync before it awaits: what it cannot answer, or a full
    // queue, faults that first MoveNextAsync at once.
    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(Func<PreparedChat> prepare,
        string idPrefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Text deltas, and with log-probabilities each token's entry before the text it adds (if any).
        var deltas = Channel.CreateUnbounded<(string? Text, TokenLogProbs? LogProbs)>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        // Leaving the loop early (a consumer that stops reading) cancels the generation too.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        GenerationOptions generation = null!;
        int most = 0;
        string? forced = null, forcedId = null;
        string lead = "";
        var run = Admit(() =>
        {
            (var prompt, generation, most, forced, lead, forcedId) = prepare();
            return RunAsync(prompt, generation, d => deltas.Writer.TryWrite((d, null)),
                generation.LogProbs is null ? null : e => deltas.Writer.TryWrite((null, e)), stop.Token);
        });
        string id = NewId(idPrefix);
        var created = DateTimeOffset.UtcNow;
        // With tools the text goes through the parser: calls come out whole as their blocks close, content around them.
        var parser = most > 0 ? ToolCallParsers.Create(ToolCallFormat) : null;
        int called = 0;
        _ = run.ContinueWith(_ => deltas.Writer.TryComplete(), TaskScheduler.Default); // a failure is rethrown by awaiting run
        var logProbs = generation.LogProbs is null ? null : new StreamedLogProbs();
        try
        {
            var holdBack = new StopHoldBack(generation.StopStrings);
            var text = new System.Text.StringBuilder();
            int sent = 0;
            await foreach (var (delta, entry) in deltas.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (entry is not null)
                {
                    logProbs!.Add(entry);
                    continue;
                }
                text.Append(parser is null ? Tags.Hide(delta ?? "") : delta); // (a parser reads the tags, and hides them)
                logProbs?.TextEnds(text.Length);
                int safe = StopHoldBack.SafeEnd(text, holdBack.StopFree(text));
                if (safe <= sent) continue;
                string piece = text.ToString(sent, safe - sent);
                sent = safe;
                var update = Update(id, created, piece, logProbs?.Upto(sent));
                if (parser is not null) called += ToolCallUpdate.Parse(parser, update, lead + piece, end: false, most - called, Tags);
                lead = ""; // (required calls: the opening that ends the prompt is read before the answer's first piece)
                if (forced is not null) update.Contents = []; // a named function's arguments: the call comes whole at the end
                yield return update;
            }
            var result = await run.ConfigureAwait(false);
            // The final text is the streamed one cut before a stop sequence, which never starts inside what was sent.
            string full = parser is null ? Tags.Hide(result.Text) : result.Text;
            if (full.Length > sent || parser is not null || forced is not null)
            {
                string rest = full[Math.Min(sent, full.Length)..];
                var update = Update(id, created, rest, logProbs?.Rest());
                if (parser is not null) called += ToolCallUpdate.Parse(parser, update, lead + rest, end: true, most - called, Tags);
                if (forced is not null) update.Contents = ForcedCall(forced, forcedId, result);
                yield return update;
            }
            var last = Update(id, created, null, logProbs?.Rest());
            last.FinishReason = called > 0 ? ChatFinishReason.ToolCalls : Reason(result.FinishReason);
            last.Contents.Add(new UsageContent(Usage(result)));
            yield return last;
        }
        finally
        {
            stop.Cancel();
        }
    }

    private Task<GenerationResult> RunAsync(int[] prompt, GenerationOptions generation, Action<string>? onText,
        Action<TokenLogProbs>? onLogProbs, CancellationToken cancellationToken) => Scripted is null
        ? queue.RunAsync(prompt, generation, onText, onLogProbs, cancellationToken)
        : ScriptedAnswers.Run(Generator, Scripted, prompt, generation, onText, onLogProbs);
}
