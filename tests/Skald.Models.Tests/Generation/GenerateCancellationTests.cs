using Skald.Models.Generation;

namespace Skald.Models.Tests.Generation;

/// <summary>
/// <see cref="TextGenerator.Generate"/>'s token stops a batch at its next step, not at its end: cancelled from the text
/// callback as the first token arrives (no timing), no further token is generated, <see cref="OperationCanceledException"/>
/// carries the caller's token, and the generator then gives what it gave before. A token cancelled already throws
/// before anything is generated.
/// </summary>
public sealed class GenerateCancellationTests
{
    // Greedy, no end-of-sequence id: every row runs to its 12 tokens unless it is stopped.
    private static readonly GenerationOptions Options = new() { MaxNewTokens = 12, EosTokenIds = [] };

    [Fact]
    public void ACancelledGenerationStopsAtTheNextTokenAndTheGeneratorGivesWhatItGaveBefore()
    {
        using var generator = TextGenerator.Load(TestPaths.FixtureModel("decoder-llama3"));
        int[][] prompts = [generator.Tokenize(GenerationInput.FromPrompt("Hvor ligger biblioteket?"))];
        var before = generator.Generate(prompts, Options);
        Assert.Equal(12, before[0].Ids.Length);
        using var cancel = new CancellationTokenSource();
        int texts = 0;

        var thrown = Assert.Throws<OperationCanceledException>(() => generator.Generate(prompts, Options, onText: (_, _) =>
        {
            texts++;
            cancel.Cancel();
        }, cancellationToken: cancel.Token));

        Assert.Equal(cancel.Token, thrown.CancellationToken);
        Assert.Equal(1, texts); // the step after the first token never ran
        Assert.Equal(before[0].Ids, generator.Generate(prompts, Options)[0].Ids);

        int calls = 0;
        Assert.Throws<OperationCanceledException>(() => generator.Generate(prompts, Options, onText: (_, _) => calls++, cancellationToken: cancel.Token));
        Assert.Equal(0, calls);
    }
}
