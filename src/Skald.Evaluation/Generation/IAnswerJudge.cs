namespace Skald.Evaluation.Generation;

/// <summary>
/// Grades an answer against a reference (LLM-as-judge). Skald.Evaluation holds the prompt and the reply parser
/// (<see cref="JudgeVerdict"/>); the OpenAI-compatible client with its retries and on-disk cache lives in
/// Skald.Data (<c>Skald.Data.Llm.LlmAnswerJudge</c>), wired in by the command line.
/// </summary>
public interface IAnswerJudge
{
    /// <summary>The verdict on <paramref name="answer"/> to <paramref name="prompt"/> given <paramref name="reference"/>.</summary>
    Task<JudgeVerdict> JudgeAsync(string prompt, string reference, string answer, CancellationToken cancel = default);
}
