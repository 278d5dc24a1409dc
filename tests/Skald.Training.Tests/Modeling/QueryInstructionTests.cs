using Skald.Models;
using Skald.Models.Architectures;
using Skald.Training.Config;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Modeling;

/// <summary>data.instruction: LLM2Vec's instruction on the query column in training, attended to but not pooled.</summary>
public sealed class QueryInstructionTests
{
    private static string Fixture(string name) => Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", name);

    [Fact]
    public void QueriesGetTheInstructionAndPoolOnlyTheirText()
    {
        var encoder = SentenceEncoder.Load(Fixture("decoder-qwen2")).WithAttention(AttentionMode.Bidirectional);
        Assert.NotNull(encoder.Folder.Llm2Vec); // a plain decoder made bidirectional is an LLM2Vec model
        var model = TrainableEncoder.For(encoder, dropout: 0f);
        model.QueryInstruction = "Finn svaret på spørsmålet";
        string[] texts = ["Når går toget?", "Hvor er biblioteket?"];
        var queries = model.Prepare(texts, query: true);
        var documents = model.Prepare(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.True(queries.Encodings[i].Ids.Length > documents.Encodings[i].Ids.Length); // the instruction is in the input
            Assert.Equal(documents.EmbedCounts![i], queries.EmbedCounts![i]);                   // and out of the pooling
        }
        Assert.NotEqual(Embed(model, queries), Embed(model, documents));

        // Evaluation during training embeds queries as the loss does: with the instruction.
        var evaluated = Skald.Training.Evaluation.TrainingEmbeddingModel.For(model, batchSize: 8);
        Assert.Equal(model.Encode(texts, 8, query: true), evaluated.Embed(texts, Skald.Retrieval.Models.TextRole.Query));
        Assert.Equal(model.Encode(texts, 8), evaluated.Embed(texts, Skald.Retrieval.Models.TextRole.Document));
        Assert.NotEqual(evaluated.Embed(texts, Skald.Retrieval.Models.TextRole.Query)[0], evaluated.Embed(texts, Skald.Retrieval.Models.TextRole.Document)[0]);
    }

    [Fact]
    public void AnInstructionForAModelThatTakesPromptsIsAClearError()
    {
        var config = ConfigLoader.Parse($$"""
            model: {path: {{Fixture("bert-cased-mean")}}}
            data: {train: {{Path.Combine(Skald.Tests.Repository.Root, "samples", "data", "train-pairs.jsonl")}}, columns: [anchor, positive], instruction: "Finn svaret"}
            output: {dir: {{Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"))}}}
            """, "instruction.yaml");
        var e = Assert.Throws<TrainingException>(() => TrainingRun.Build(config));
        Assert.Contains("data.instruction", e.Message);
    }

    private static float[] Embed(TrainableEncoder model, ModelInputs inputs)
    {
        using var pass = model.BeginPass(record: false, dropout: false);
        return pass.Forward(inputs.Slice(0, 1)).Row(0).ToArray();
    }
}
