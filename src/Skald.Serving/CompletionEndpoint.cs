using System.Threading.Channels;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;
using Skald.Models.Generation;

namespace Skald.Serving;

/// <summary>
/// Answers a <c>POST /v1/completions</c> request with a local decoder (<see cref="SkaldChatClient.CompleteAsync"/>): each
/// prompt of the list is one request of the client's queue, so they are decoded together (and join a running batch)
/// like concurrent chat requests, and its answer is choice i. Every prompt is prepared and queued before anything is
/// written, so one the model cannot take (longer than the context) is a 400 naming it, a full queue a 503, and the
/// others are let go; more prompts than the queue holds (<see cref="SkaldChatClient.MaxQueue"/>) are a 400.
/// </summary>
internal static class CompletionEndpoint
{
    public static async Task Answer(HttpContext ctx, ChatService chat, SkaldChatClient client, CompletionRequest request)
    {
        Fits(client, request.Prompts.Count);
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        var asked = new Task<ChatResponse>[request.Prompts.Count];
        try
        {
            for (int i = 0; i < asked.Length; i++)
            {
                asked[i] = client.CompleteAsync(request.Prompts[i], request.Options, gone.Token);
                if (asked[i].IsFaulted) await Refused(asked[i], i, request.Prompts.Count).ConfigureAwait(false);
            }
            var answers = await Task.WhenAll(asked).ConfigureAwait(false);
            var usage = new UsageDetails
            {
                InputTokenCount = answers.Sum(a => a.Usage?.InputTokenCount ?? 0),
                OutputTokenCount = answers.Sum(a => a.Usage?.OutputTokenCount ?? 0),
            };
            chat.Metrics.Chat(usage.InputTokenCount ?? 0, usage.OutputTokenCount ?? 0);
            await CompletionResponses.Completion(ctx.Response, NewId(), DateTimeOffset.UtcNow.ToUnixTimeSeconds(), chat.ModelName, answers, usage,
                LogProbsJson.Asked(request.Options) ? client : null).ConfigureAwait(false);
        }
        finally
        {
            await gone.CancelAsync().ConfigureAwait(false); // the prompts still decoding when one was refused or failed
        }
    }

    // Server-sent text_completion events: each prompt's stream is read by its own pump into one channel, in the order
    // its text arrives; its last event carries its finish reason. With logprobs each event carries its tokens', their
    // text_offset counted on from the choice's earlier events.
    public static async Task Stream(HttpContext ctx, ChatService chat, SkaldChatClient client, CompletionRequest request)
    {
        int n = request.Prompts.Count;
        Fits(client, n);
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        var streams = new IAsyncEnumerator<ChatResponseUpdate>[n];
        var firsts = new Task<bool>[n];
        var pumps = new List<Task>();
        try
        {
            for (int i = 0; i < n; i++)
            {
                streams[i] = client.CompleteStreamingAsync(request.Prompts[i], request.Options, gone.Token).GetAsyncEnumerator(gone.Token);
                firsts[i] = streams[i].MoveNextAsync().AsTask(); // prepares and queues it before its first await
                if (firsts[i].IsFaulted) await Refused(firsts[i], i, n).ConfigureAwait(false);
            }
            var updates = Channel.CreateUnbounded<(int Index, ChatResponseUpdate Update)>(new UnboundedChannelOptions { SingleReader = true });
            for (int i = 0; i < n; i++) pumps.Add(Pump(i, streams[i], firsts[i], updates.Writer));
            _ = Task.WhenAll(pumps).ContinueWith(t => updates.Writer.TryComplete(t.Exception?.InnerException), TaskScheduler.Default);
            string id = NewId();
            long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            long prompt = 0, completion = 0;
            var offsets = Enumerable.Range(0, n).Select(_ => new TextOffsets()).ToArray();
            var tokens = LogProbsJson.Asked(request.Options) ? client : null;
            ChatResponses.StartEvents(ctx.Response);
            await foreach (var (index, update) in updates.Reader.ReadAllAsync(ctx.RequestAborted).ConfigureAwait(false))
            {
                if (update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details is { } used)
                {
                    prompt += used.InputTokenCount ?? 0;
                    completion += used.OutputTokenCount ?? 0;
                }
                if (update.Text is { Length: > 0 } || update.FinishReason is not null)
                {
                    await CompletionResponses.Chunk(ctx.Response, id, created, chat.ModelName, index, update.Text, update.FinishReason,
                        LogProbsJson.Of(update.AdditionalProperties), tokens, offsets).ConfigureAwait(false);
                }
            }
            chat.Metrics.Chat(prompt, completion);
            if (request.IncludeUsage)
            {
                var usage = new UsageDetails { InputTokenCount = prompt, OutputTokenCount = completion };
                await CompletionResponses.Chunk(ctx.Response, id, created, chat.ModelName, 0, "", null, usage: usage).ConfigureAwait(false);
            }
            await ChatResponses.Done(ctx.Response).ConfigureAwait(false);
        }
        finally
        {
            await gone.CancelAsync().ConfigureAwait(false);
            // an enumerator is disposed only once no MoveNextAsync of it is running
            foreach (var task in pumps.Concat(firsts.Where(f => f is not null)))
                await task.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            foreach (var s in streams)
            {
                if (s is not null) await s.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task Pump(int index, IAsyncEnumerator<ChatResponseUpdate> stream, Task<bool> first,
        ChannelWriter<(int, ChatResponseUpdate)> into)
    {
        bool more = await first.ConfigureAwait(false);
        while (more)
        {
            into.TryWrite((index, stream.Current));
            more = await stream.MoveNextAsync().ConfigureAwait(false);
        }
    }

    // More prompts than the client's queue holds could never be queued together: the client's error (a 503 would have it
    // retry a request that cannot succeed).
    private static void Fits(SkaldChatClient client, int prompts)
    {
        if (prompts > client.MaxQueue)
            throw ApiException.BadRequest($"{prompts} prompts is more than this server queues at once ({client.MaxQueue}); send fewer per request", "prompt");
    }

    // A prompt the model cannot take, an option it refuses, or a full queue: the request's 400 or 503. A refusal of the
    // prompt itself (its tokens, its length, the room it leaves for max_tokens) names it when there are several; an
    // option refused whatever the prompt names its field alone, as for a single prompt.
    private static async Task Refused(Task asked, int index, int count)
    {
        try
        {
            await asked.ConfigureAwait(false);
        }
        catch (PromptRefusedException e)
        {
            throw ApiException.PromptRefused(e, "prompt", Naming(e.Message, index, count));
        }
        catch (ChatOptionException e)
        {
            throw ApiException.BadRequest(e.Message, e.Field);
        }
        catch (ArgumentException e)
        {
            throw ApiException.BadRequest(e.Message, "prompt");
        }
        catch (GenerationBusyException e)
        {
            throw new ApiException(503, $"the server is overloaded ({e.Message})", "server_error");
        }
    }

    // A refusal's message, naming the prompt of the list it was refused for.
    private static string Naming(string message, int index, int count) => count > 1 ? $"prompt[{index}]: {message}" : message;

    private static string NewId() => "cmpl-" + Guid.NewGuid().ToString("N");
}
