namespace Skald.Models.Generation;

/// <summary>One request waiting in, or being decoded by, a <see cref="SkaldChatClient"/>'s batch queue.</summary>
internal sealed class ChatJob(int[] prompt, GenerationOptions options, Action<string>? onText, Action<TokenLogProbs>? onLogProbs,
    CancellationToken cancel)
{
    /// <summary>The templated conversation's token ids.</summary>
    public int[] Prompt { get; } = prompt;

    /// <summary>Its length, sampling, seed and stop strings.</summary>
    public GenerationOptions Options { get; } = options;

    /// <summary>Where its text goes as it grows (streaming), if anywhere.</summary>
    public Action<string>? OnText { get; } = onText;

    /// <summary>Where each token's log-probabilities go as it is chosen (streaming with logprobs), if anywhere.</summary>
    public Action<TokenLogProbs>? OnLogProbs { get; } = onLogProbs;

    /// <summary>Its caller's cancellation.</summary>
    public CancellationToken Cancel { get; } = cancel;

    /// <summary>Completes with its result, cancelled or failed.</summary>
    public TaskCompletionSource<GenerationResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private int settled, running;

    /// <summary>True the first time only: whoever gets it completes <see cref="Done"/>.</summary>
    public bool Settle() => Interlocked.Exchange(ref settled, 1) == 0;

    /// <summary>Marks it decoding (taken out of the queue into a batch's row).</summary>
    public void Start() => Volatile.Write(ref running, 1);

    /// <summary>True the first time only after <see cref="Start"/>: whoever gets it counts it out of the running requests.</summary>
    public bool Stop() => Interlocked.Exchange(ref running, 0) == 1;
}
