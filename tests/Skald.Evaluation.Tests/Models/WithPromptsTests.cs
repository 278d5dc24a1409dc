using Skald.Evaluation.Models;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Tests.Models;

/// <summary>
/// <see cref="EvaluationEmbeddingModel.WithPrompts"/>: a view of the loaded model with other prompts (what NanoBEIR's
/// per-dataset prompts use instead of loading the model once per prompt) shares its encoder and embeds as a model
/// loaded with those prompts does.
/// </summary>
public sealed class WithPromptsTests
{
    [Fact]
    public void AViewSharesTheEncoderAndEmbedsAsAModelLoadedWithThePrompts()
    {
        string folder = TestPaths.FixtureModel("bert-cased-mean");
        using var model = EvaluationEmbeddingModel.Load(folder);
        using var loaded = EvaluationEmbeddingModel.Load(folder, new EvaluationEmbeddingOptions { QueryPrompt = "spørsmål: ", DocumentPrompt = "tekst: " });
        var view = Assert.IsType<EvaluationEmbeddingModel>(model.WithPrompts("spørsmål: ", "tekst: "));
        Assert.Same(model.Encoder, view.Encoder);
        string[] texts = ["Hvor ligger Bergen?", "Oslo er hovedstaden i Norge."];
        foreach (var role in new[] { TextRole.Query, TextRole.Document })
        {
            var got = view.Embed(texts, role);
            var want = loaded.Embed(texts, role);
            for (int i = 0; i < texts.Length; i++) Assert.Equal(want[i], got[i]);
        }
        Assert.Equal("tekst: ", view.Metadata["document_prompt"]);
        Assert.Equal(4, model.EncodedCount); // the view's texts are counted on the model it views
        // a prompt left null keeps the model's own
        var half = Assert.IsType<EvaluationEmbeddingModel>(view.WithPrompts(null, "annet: "));
        Assert.Equal("spørsmål: ", half.PromptFor(TextRole.Query));
        Assert.Equal("annet: ", half.PromptFor(TextRole.Document));
        // and the prompts matter: the model's own query prompt ("query: ") embeds otherwise
        Assert.NotEqual(model.Embed(texts, TextRole.Query)[0], view.Embed(texts, TextRole.Query)[0]);
    }
}
