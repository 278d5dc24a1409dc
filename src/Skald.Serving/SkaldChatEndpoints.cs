using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;

namespace Skald.Serving;

/// <summary>
/// Maps OpenAI's chat completions endpoint into an ASP.NET Core app, for a local decoder LLM (or any
/// <see cref="IChatClient"/>), and for a local decoder OpenAI's legacy text completions too:
/// <code>
/// using var client = SkaldChatClient.Load("models/my-sft-model"); // the app's: disposed (with its generator) after Run returns
/// var chat = new ChatService(client, "my-sft-model");
/// app.MapSkaldChat(chat);                  // POST /v1/chat/completions, /v1/completions, GET /v1/models
/// app.MapSkaldChat(chat, embeddings);      // beside MapSkaldEmbeddings: one /v1/models lists both
/// </code>
/// </summary>
public static class SkaldChatEndpoints
{
    /// <summary>
    /// Serves <paramref name="chat"/> at <c>POST {path}</c> (default <c>/v1/chat/completions</c>), answering as one
    /// <c>chat.completion</c> or, with <c>stream: true</c>, as server-sent <c>chat.completion.chunk</c> events. With
    /// <paramref name="embeddings"/> (an app that also maps <see cref="SkaldEndpoints.MapSkaldEmbeddings(IEndpointRouteBuilder, EmbeddingService)"/>)
    /// the chat model joins its <c>GET /v1/models</c>; without, this maps <c>GET /v1/models</c> for the chat model. A
    /// local decoder (<see cref="SkaldChatClient"/>) also answers <c>POST /v1/completions</c>.
    /// </summary>
    public static void MapSkaldChat(this IEndpointRouteBuilder endpoints, ChatService chat, EmbeddingService? embeddings = null,
        string path = "/v1/chat/completions") => MapSkaldChat(endpoints, chat, embeddings, path, "/v1/completions");

    /// <summary>
    /// As <see cref="MapSkaldChat(IEndpointRouteBuilder, ChatService, EmbeddingService?, string)"/>, and when the chat
    /// model is a local decoder (<see cref="SkaldChatClient"/>) OpenAI's legacy text completions at
    /// <c>POST {completionsPath}</c>: <c>prompt</c> (a string or a list of strings) continued as plain text without
    /// the chat template, one <c>text_completion</c> choice per prompt, whole or streamed.
    /// </summary>
    public static void MapSkaldChat(this IEndpointRouteBuilder endpoints, ChatService chat, EmbeddingService? embeddings,
        string path, string completionsPath)
    {
        ArgumentNullException.ThrowIfNull(chat);
        var auth = new ApiKeyCheck(chat.ApiKey);
        var model = new ServedModel(chat.ModelName, chat.Created);
        if (embeddings is null) SkaldEndpoints.MapModels(endpoints, chat.Metrics, auth, () => [model]);
        else embeddings.AlsoServe(model);
        var local = chat.Client.GetService(typeof(SkaldChatClient)) as SkaldChatClient;
        endpoints.MapPost(path, ctx => SkaldEndpoints.Handle(ctx, chat.Metrics, "chat", auth, async () =>
        {
            var body = await RequestBody.ReadAsync(ctx.Request, chat.MaxBodyBytes).ConfigureAwait(false);
            var request = ChatRequestReader.Read(body);
            // only a local decoder reports them (another IChatClient would answer without)
            bool logProbs = LogProbsJson.Asked(request.Options);
            if (logProbs && local is null)
                throw ApiException.BadRequest("logprobs are reported by a local decoder only (skald serve --generator)", "logprobs");
            var tokens = logProbs ? local : null;
            await (request.Stream ? Stream(ctx, chat, request, tokens) : Answer(ctx, chat, request, tokens)).ConfigureAwait(false);
        }));
        if (local is null) return;
        endpoints.MapPost(completionsPath, ctx => SkaldEndpoints.Handle(ctx, chat.Metrics, "completions", auth, async () =>
        {
            var body = await RequestBody.ReadAsync(ctx.Request, chat.MaxBodyBytes).ConfigureAwait(false);
            var request = CompletionRequestReader.Read(body);
            await (request.Stream ? CompletionEndpoint.Stream(ctx, chat, local, request) : CompletionEndpoint.Answer(ctx, chat, local, request))
                .ConfigureAwait(false);
        }));
    }

    private static async Task Answer(HttpContext ctx, ChatService chat, ChatRequest request, SkaldChatClient? tokens)
    {
        var answer = await Asking(() => chat.Client.GetResponseAsync(request.Messages, request.Options, ctx.RequestAborted)).ConfigureAwait(false);
        chat.Metrics.Chat(answer.Usage?.InputTokenCount ?? 0, answer.Usage?.OutputTokenCount ?? 0);
        await ChatResponses.Completion(ctx.Response, answer, chat.ModelName, tokens).ConfigureAwait(false);
    }

    // What the chat model says it cannot answer, as the client's error: a request it cannot take (an ArgumentException:
    // a conversation over the context, a template refusing the roles) is a 400 naming the messages, or the option's field
    // for an option it refuses (a ChatOptionException: a penalty) or that the conversation leaves no room for (a
    // PromptRefusedException naming max_tokens), a full queue a 503.
    private static async Task<T> Asking<T>(Func<Task<T>> ask)
    {
        try
        {
            return await ask().ConfigureAwait(false);
        }
        catch (ChatOptionException e)
        {
            throw ApiException.BadRequest(e.Message, e.Field);
        }
        catch (PromptRefusedException e)
        {
            throw ApiException.PromptRefused(e, "messages");
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message, "messages");
        }
        catch (GenerationBusyException e)
        {
            throw new ApiException(503, $"the server is overloaded ({e.Message})", "server_error");
        }
    }

    // The first update is awaited before anything is written, so that a request the model cannot answer is still a 400.
    private static async Task Stream(HttpContext ctx, ChatService chat, ChatRequest request, SkaldChatClient? tokens)
    {
        var updates = chat.Client.GetStreamingResponseAsync(request.Messages, request.Options, ctx.RequestAborted).GetAsyncEnumerator(ctx.RequestAborted);
        await using var _ = updates.ConfigureAwait(false);
        bool more = await Asking(() => updates.MoveNextAsync().AsTask()).ConfigureAwait(false);
        ChatResponses.StartEvents(ctx.Response);
        bool first = true;
        UsageDetails? usage = null;
        ChatResponseUpdate? update = null;
        int calls = 0; // tool calls sent so far: the next one's index
        while (more)
        {
            update = updates.Current;
            string? text = update.Text is { Length: > 0 } t ? t : null;
            usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
            var called = update.Contents.OfType<FunctionCallContent>().ToList();
            // with tools, text held back while a call's block may be open still sends its tokens' log-probabilities
            bool entries = tokens is not null && LogProbsJson.Of(update.AdditionalProperties) is { Count: > 0 };
            if (first || text is not null || called.Count > 0 || entries || update.FinishReason is not null)
            {
                await ChatResponses.Chunk(ctx.Response, update, chat.ModelName, first, first && text is null && called.Count == 0 ? "" : text,
                    update.FinishReason, tokens: tokens, calls: called, firstCall: calls).ConfigureAwait(false);
                first = false;
                calls += called.Count;
            }
            more = await updates.MoveNextAsync().ConfigureAwait(false);
        }
        chat.Metrics.Chat(usage?.InputTokenCount ?? 0, usage?.OutputTokenCount ?? 0);
        if (request.IncludeUsage && update is not null)
            await ChatResponses.Chunk(ctx.Response, update, chat.ModelName, false, null, null, usage ?? new UsageDetails()).ConfigureAwait(false);
        await ChatResponses.Done(ctx.Response).ConfigureAwait(false);
    }
}
