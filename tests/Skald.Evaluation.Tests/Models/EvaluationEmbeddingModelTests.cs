using Skald.Evaluation.Models;
using Skald.Models;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Tests.Models;

public sealed class EvaluationEmbeddingModelTests
{
    /// <summary>For an LLM2Vec model the query prompt is LLM2Vec's instruction: attended to, left out of pooling.</summary>
    [Fact]
    public void AnLlm2VecModelGetsItsQueryPromptAsAnInstruction()
    {
        string path = TestPaths.FixtureModel("llm2vec-xlmr");
        const string instruction = "Finn avsnittet som svarer på spørsmålet";
        var model = EvaluationEmbeddingModel.Load(path, new EvaluationEmbeddingOptions { QueryPrompt = instruction });
        string[] texts = ["Når går toget til Bergen?", "Hvor ligger legekontoret?"];
        var queries = model.Embed(texts, TextRole.Query);
        var documents = model.Embed(texts, TextRole.Document);
        var encoder = SentenceEncoder.Load(path);
        var expected = encoder.Encode(texts, new EncodeOptions { Instruction = instruction });
        var plain = encoder.Encode(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(expected[i], queries[i]);
            Assert.Equal(plain[i], documents[i]);
            Assert.NotEqual(plain[i], queries[i]);
        }
    }
}
