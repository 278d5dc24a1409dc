using System.Security.Cryptography;
using System.Text;
using Skald.Evaluation.Generation;

namespace Skald.Data.Llm;

/// <summary>
/// LLM-as-judge over an OpenAI-compatible chat endpoint (<see cref="IAnswerJudge"/>): the prompt of
/// <see cref="JudgeVerdict.Prompt"/> (the reference answer included), sent through <see cref="LlmQuestionClient"/> (its
/// retries, timeouts and request budget; a reply without a parsable score is asked again up to twice), and an on-disk
/// cache: every reply goes to a <see cref="GenerationJournal"/> keyed by (model, prompt, reference, answer), so a run
/// asks each question once and an interrupted run resumes where it stopped. Safe to call concurrently.
/// </summary>
public sealed class LlmAnswerJudge : IAnswerJudge, IDisposable
{
    private readonly LlmSettings settings;
    private readonly LlmQuestionClient client;
    private readonly GenerationJournal journal;
    private readonly Dictionary<string, string> cached = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private readonly CancellationToken stop;

    /// <summary>
    /// A judge asking <paramref name="settings"/>' endpoint and model, caching in <paramref name="cachePath"/> (a JSONL
    /// journal). Once <paramref name="stop"/> is set (Ctrl-C), an answer the cache lacks is an
    /// <see cref="OperationCanceledException"/> instead of a new request, while a request already sent finishes and is
    /// cached (cancelling the <c>cancel</c> of <see cref="JudgeAsync"/> abandons it instead).
    /// </summary>
    public LlmAnswerJudge(LlmSettings settings, string cachePath, CancellationToken stop = default)
    {
        this.stop = stop;
        this.settings = settings with { Temperature = 0f };
        client = new LlmQuestionClient(this.settings, stop);
        journal = GenerationJournal.Open(cachePath);
        foreach (var (key, entry) in journal.Entries)
        {
            if (entry.Questions.Count == 1) cached[key] = entry.Questions[0];
        }
    }

    /// <summary>Replies taken from the cache so far.</summary>
    public int CacheHits { get; private set; }

    /// <summary>Requests sent (retries included).</summary>
    public int Requests => client.Requests;

    /// <inheritdoc />
    public async Task<JudgeVerdict> JudgeAsync(string prompt, string reference, string answer, CancellationToken cancel = default)
    {
        string key = "j" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{settings.Model}\n{prompt}\n{reference}\n{answer}")))[..24]
            .ToLowerInvariant();
        string? reply;
        lock (gate)
        {
            if (cached.TryGetValue(key, out reply)) CacheHits++;
        }
        if (reply is null)
        {
            stop.ThrowIfCancellationRequested(); // stopping: no new request
            var (system, user) = JudgeVerdict.Prompt(prompt, reference, answer);
            reply = await client.CompleteAsync(system, user, "a judgement", r => JudgeVerdict.Parse(r) is not null, cancel);
            if (JudgeVerdict.Parse(reply) is not null)
            {
                lock (gate)
                {
                    journal.Append(new JournalEntry(key, key, [reply]));
                    cached[key] = reply;
                }
            }
        }
        return JudgeVerdict.Parse(reply)
            ?? throw new DataException($"{settings.Endpoint}: the judge gave no score from 1 to 10 after {Tokenizers.Serialization.Counted.Of(Tries, "try", "tries")} (last reply: '{Short(reply)}')");
    }

    /// <summary>How often a reply without a score is asked for: once and up to twice again, as the retries allow (<see cref="LlmQuestionClient.CompleteAsync"/>).</summary>
    private int Tries => 1 + Math.Min(2, Math.Max(settings.MaxRetries, 0));

    /// <inheritdoc />
    public void Dispose() => journal.Dispose();

    private static string Short(string s) => s.Length <= 80 ? s.ReplaceLineEndings(" ") : s[..80].ReplaceLineEndings(" ") + "…";
}
