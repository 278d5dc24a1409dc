using Skald.Data.Llm;
using Skald.Evaluation.Generation;
using Reply = Skald.Tests.FakeChatServer.Reply;

namespace Skald.Data.Tests;

/// <summary>LLM-as-judge against the local fake OpenAI-compatible server (127.0.0.1 only): prompt, parsing, retries, cache.</summary>
public sealed class LlmJudgeTests
{
    [Theory]
    [InlineData("Rationale: Correct and complete.\nScore: 9", 9, "Correct and complete.")]
    [InlineData("The answer names the wrong city.\n**Score:** 2/10", 2, "The answer names the wrong city.")]
    [InlineData("Bra svar. 7/10", 7, "Bra svar.")]
    public void VerdictsAreParsedFromTheReply(string reply, int score, string rationale)
    {
        var v = JudgeVerdict.Parse(reply);
        Assert.NotNull(v);
        Assert.Equal(score, v.Score);
        Assert.Equal(rationale, v.Rationale);
    }

    [Theory]
    [InlineData("I cannot grade this.")]
    [InlineData("Score: 11")]
    [InlineData("")]
    public void RepliesWithoutAScoreFrom1To10AreNotVerdicts(string reply) => Assert.Null(JudgeVerdict.Parse(reply));

    [Fact]
    public async Task TheJudgeSeesTheReferenceRetriesAndCachesOnDisk()
    {
        var users = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var server = new FakeChatServer((answer, n) => answer switch
        {
            "Oslo." when n == 1 => Reply.ServerError,
            "Bergen." when n == 1 => Reply.Chatter,
            _ => Reply.Good,
        }, answer: a => a == "Stockholm." ? "Rationale: Matches the reference.\nScore: 10" : "Rationale: Wrong city.\nScore: 2");
        var settings = new LlmSettings
        {
            Endpoint = new Uri(server.Url), Model = "fake", MaxRetries = 4, Timeout = TimeSpan.FromSeconds(2), RetryDelay = TimeSpan.FromMilliseconds(20),
        };
        string cache = Path.Combine(TestPaths.NewTempDir(), "judge.jsonl");
        using (var judge = new LlmAnswerJudge(settings, cache))
        {
            var good = await judge.JudgeAsync("Vad är huvudstaden i Sverige?", "Stockholm", "Stockholm.");
            Assert.Equal(new JudgeVerdict(10, "Matches the reference."), good);
            Assert.Equal(2, (await judge.JudgeAsync("Vad är huvudstaden i Sverige?", "Stockholm", "Oslo.")).Score); // after a 500
            Assert.Equal(2, (await judge.JudgeAsync("Vad är huvudstaden i Sverige?", "Stockholm", "Bergen.")).Score); // a chattier reply
        }
        int asked = server.Requests.Count;
        Assert.True(asked >= 4, $"{asked} requests"); // one retried after HTTP 500
        var (_, user) = JudgeVerdict.Prompt("Vad är huvudstaden i Sverige?", "Stockholm", "Oslo.");
        Assert.Contains("Reference answer:\nStockholm", user);

        using var again = new LlmAnswerJudge(settings, cache);
        Assert.Equal(10, (await again.JudgeAsync("Vad är huvudstaden i Sverige?", "Stockholm", "Stockholm.")).Score);
        Assert.Equal(2, (await again.JudgeAsync("Vad är huvudstaden i Sverige?", "Stockholm", "Oslo.")).Score);
        Assert.Equal(asked, server.Requests.Count); // both from the cache
        Assert.Equal(2, again.CacheHits);
    }

    [Theory]
    [InlineData(0, "after 1 try")]
    [InlineData(1, "after 2 tries")]
    [InlineData(4, "after 3 tries")]
    public async Task AJudgeThatNeverScoresIsOneLineCountingTheTriesMade(int retries, string tries)
    {
        // the line said "after 3 tries" whatever --max-retries allowed
        using var server = new FakeChatServer((_, _) => Reply.Good, answer: _ => "I would rather not grade this.");
        var settings = new LlmSettings { Endpoint = new Uri(server.Url), Model = "fake", MaxRetries = retries, RetryDelay = TimeSpan.FromMilliseconds(5) };
        using var judge = new LlmAnswerJudge(settings, Path.Combine(TestPaths.NewTempDir(), "judge.jsonl"));
        var e = await Assert.ThrowsAsync<DataException>(() => judge.JudgeAsync("Hva er hovedstaden i Norge?", "Oslo", "Bergen."));
        Assert.Contains($"the judge gave no score from 1 to 10 {tries} (last reply: 'I would rather not grade this.')", e.Message);
        Assert.Equal(int.Parse(tries.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), server.Requests.Count);
    }
}
