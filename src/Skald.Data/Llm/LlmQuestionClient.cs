using System.ClientModel;
using System.Globalization;
using OpenAI.Chat;
using Polly;
using Polly.Timeout;
using Skald.Retrieval.Remote;

namespace Skald.Data.Llm;

/// <summary>
/// Asks an OpenAI-compatible chat endpoint for questions through the official OpenAI .NET SDK (its own retries off),
/// inside the shared Polly pipeline (<see cref="OpenAiConnection"/>): a per-attempt timeout, and retries with
/// exponential backoff and jitter on 429 (waiting what Retry-After says), 5xx, timeouts, broken connections and
/// unreadable replies, counted by reason (<see cref="RetryCounts"/>). Other HTTP errors (400, 401, 404, ...) mean the
/// endpoint, model or key is wrong, and a connection that cannot be made before the endpoint ever answered (refused, a
/// host name that does not resolve) a wrong address: both stop at once with one line. Every attempt counts against the
/// request budget, reserved before it is sent (<see cref="RequestBudget"/>): concurrent workers send exactly the budget.
/// </summary>
public sealed class LlmQuestionClient
{
    private readonly LlmSettings settings;
    private readonly ChatClient chat;
    private readonly ResiliencePipeline pipeline;
    private readonly RequestBudget budget;
    private readonly CancellationToken stop;
    private readonly RetryTally retries = new();

    /// <summary>
    /// A client for <paramref name="settings"/>. Once <paramref name="stop"/> is set (Ctrl-C), it sends nothing more, a
    /// retry included (an <see cref="OperationCanceledException"/>), while a request already sent finishes; a retry's
    /// backoff under way (a long Retry-After) ends at once (<see cref="AttemptStop"/>). <paramref name="budget"/>: a
    /// budget shared with other clients of the same run (null: one of <see cref="LlmSettings.RequestBudget"/> of its own).
    /// </summary>
    public LlmQuestionClient(LlmSettings settings, CancellationToken stop = default, RequestBudget? budget = null)
    {
        this.settings = settings;
        this.stop = stop;
        this.budget = budget ?? new RequestBudget(settings.RequestBudget);
        chat = new ChatClient(settings.Model, new ApiKeyCredential(settings.ApiKey), OpenAiConnection.ClientOptions(settings.Endpoint, settings.Timeout));
        pipeline = OpenAiConnection.Pipeline(Math.Max(settings.MaxRetries, 0), settings.RetryDelay, settings.Timeout, retries);
    }

    /// <summary>The endpoint, model and limits asked with.</summary>
    public LlmSettings Settings => settings;

    /// <summary>Requests sent so far (retries included), by every client sharing the budget.</summary>
    public int Requests => budget.Taken;

    /// <summary>Retries so far.</summary>
    public int Retries => retries.Total;

    /// <summary>Retries so far by reason, for progress lines ("3 retries (2 HTTP 429, 1 timeout)").</summary>
    public RetryTally RetryCounts => retries;

    /// <summary>
    /// Up to QuestionsPerChunk questions about <paramref name="passage"/> in <paramref name="language"/>, the passage's
    /// section <paramref name="heading"/> ("" when none) given as context.
    /// </summary>
    public async Task<List<string>> AskAsync(string heading, string passage, string language, string chunkId, CancellationToken cancel)
    {
        var (system, user) = LlmPrompts.For(language, heading, passage, settings.QuestionsPerChunk);
        string reply = await CompleteAsync(system, user, $"chunk {chunkId}", r => QuestionListParser.Parse(r, settings.QuestionsPerChunk).Count > 0, cancel);
        return QuestionListParser.Parse(reply, settings.QuestionsPerChunk);
    }

    /// <summary>
    /// One chat completion with the retries and limits above; a reply that <paramref name="usable"/> rejects is asked
    /// again up to twice (never more often than <see cref="LlmSettings.MaxRetries"/> allows), then returned as it is: a
    /// passage the model will not ask about is not an error that stops the run, and would stop every run again.
    /// </summary>
    public async Task<string> CompleteAsync(string system, string user, string what, Func<string, bool> usable, CancellationToken cancel)
    {
        ChatMessage[] messages = [new SystemChatMessage(system), new UserChatMessage(user)];
        var options = new ChatCompletionOptions { Temperature = settings.Temperature };
        int rejected = 0;
        // stopping: the reply of a request sent is kept, but no request is sent now, not even a retry, and a retry's
        // backoff under way ends at once (the item stays unanswered, for the next run)
        using var attempts = new AttemptStop(stop, cancel);
        try
        {
            return await pipeline.ExecuteAsync(async ct =>
            {
                if (!attempts.TryBegin()) throw new OperationCanceledException("stopping: no further request", stop);
                try
                {
                    // reserved before it is sent, so workers racing for the last request of the budget cannot both send it
                    if (!budget.TryReserve())
                        throw new DataException($"request budget of {budget.Limit} reached; run again (with a larger {settings.RequestBudgetName}) to continue where this run stopped");
                    if (ct.IsCancellationRequested)
                    {
                        budget.Release(); // never sent
                        ct.ThrowIfCancellationRequested();
                    }
                    string text;
                    try
                    {
                        var completion = (await chat.CompleteChatAsync(messages, options, ct)).Value;
                        text = string.Concat(completion.Content.Select(p => p.Text)); // read lazily: an empty "choices" throws here
                    }
                    catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException or ArgumentException)
                    {
                        throw new UnusableReplyException("unreadable reply", $"the reply is not a chat completion ({e.Message.Split('\n')[0]})");
                    }
                    if (!usable(text) && rejected++ < Math.Min(2, Math.Max(settings.MaxRetries, 0))) throw new UnusableReplyException("no usable answer", "no usable answer in the reply");
                    return text;
                }
                finally
                {
                    attempts.End();
                }
            }, attempts.Token);
        }
        catch (ClientResultException e) when (e.InnerException is UnreachableEndpointException u)
        {
            throw new DataException($"{settings.Endpoint}: {u.Message}");
        }
        catch (ClientResultException e) when (!OpenAiConnection.IsTransient(e))
        {
            string? said = OpenAiConnection.ServerError(e).Message;
            throw new DataException(e.Status is 401 or 403
                ? $"{settings.Endpoint}: the API key was refused (HTTP {e.Status})"
                : e.Status == 404
                    ? OpenAiConnection.NotFound(settings.Endpoint, "chat/completions", said)
                : said is not null
                    ? $"{settings.Endpoint}: HTTP {e.Status} for {what} from model '{settings.Model}': the server says \"{said}\""
                    : $"{settings.Endpoint}: HTTP {e.Status} for model '{settings.Model}' (is it an OpenAI-compatible chat endpoint, and the model name right?)");
        }
        catch (Exception e) when (attempts.Stopping && !cancel.IsCancellationRequested
            && e is ClientResultException or TimeoutRejectedException or HttpRequestException or UnusableReplyException)
        {
            // a failed attempt that would have been retried: stopping, the retry is not sent (not a give-up)
            throw new OperationCanceledException("stopping: the retry is not sent", e, stop);
        }
        catch (Exception e) when (e is ClientResultException or TimeoutRejectedException or HttpRequestException or UnusableReplyException)
        {
            string why = e switch
            {
                TimeoutRejectedException => $"no answer within {settings.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s",
                UnusableReplyException u => u.Message,
                _ => OpenAiConnection.RetryReason(e),
            };
            throw new DataException($"{settings.Endpoint}: gave up on {what} after {settings.MaxRetries} retries ({why}); is it an OpenAI-compatible chat endpoint? Run again to resume");
        }
    }
}
