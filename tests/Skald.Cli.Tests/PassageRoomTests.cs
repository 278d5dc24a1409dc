using System.Text.Json.Nodes;
using Skald.Cli.Commands;
using Skald.Cli.Commands.Index;
using Skald.Evaluation.Models;

namespace Skald.Cli.Tests;

/// <summary>
/// One rule for how long passages are (<c>PassageBudget.Room</c>): <c>skald data generate --tokenizer MODEL</c> and
/// <c>skald index build --model MODEL</c> default to the same chunk size for the same model, and for an LLM2Vec model
/// that is at most its doc_max_length, the tokens of a document LLM2Vec's <c>encode</c> keeps (it cuts longer texts down
/// by words before tokenizing). Both chunked the llm2vec-xlmr fixture (max_length 64, doc_max_length 24) into 62-token
/// passages, of which the model embeds 24.
/// </summary>
public sealed class PassageRoomTests
{
    [Theory]
    [InlineData("llm2vec-xlmr")]
    [InlineData("bert-cased-mean")]
    public void DataGenerateAndIndexBuildSizePassagesAlike(string name)
    {
        string model = TestPaths.FixtureModel(name);
        int dataGenerate = PassageBudget.Chunk(null, model, line => Assert.Fail(line));
        using var embedder = EvaluationEmbeddingModel.Load(model);
        var (indexBuild, _, _) = IndexOptions.Chunking(embedder, null, null);
        Assert.Equal(indexBuild, dataGenerate);
    }

    [Fact]
    public void AnLlm2VecModelsPassagesAreAtMostItsDocMaxLength()
    {
        string model = TestPaths.FixtureModel("llm2vec-xlmr");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "llm2vec_config.json")))!;
        int docMaxLength = config["doc_max_length"]!.GetValue<int>();
        Assert.True(docMaxLength < config["max_length"]!.GetValue<int>() - 2); // the fixture's doc_max_length is the bound
        Assert.Equal(docMaxLength, PassageBudget.Chunk(null, model, line => Assert.Fail(line)));
        using var embedder = EvaluationEmbeddingModel.Load(model);
        var (chunk, _, note) = IndexOptions.Chunking(embedder, null, null);
        Assert.Equal(docMaxLength, chunk);
        Assert.Equal($"chunks of at most {docMaxLength} tokens: what the model reads of a passage (LLM2Vec's doc_max_length {docMaxLength})", note);
        var (_, _, warning) = IndexOptions.Chunking(embedder, docMaxLength + 1, null);
        Assert.StartsWith($"warning: --chunk-tokens {docMaxLength + 1} is more than the {docMaxLength} tokens the model reads of a passage", warning, StringComparison.Ordinal);
    }
}
