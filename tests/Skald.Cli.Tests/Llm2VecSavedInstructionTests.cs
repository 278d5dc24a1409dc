using System.Buffers.Binary;
using System.Text.Json;
using Skald.Evaluation.Models;
using Skald.Retrieval.Models;

namespace Skald.Cli.Tests;

/// <summary>
/// An LLM2Vec run's <c>data.instruction</c> travels with the trained folder (merged or adapter) as
/// <c>config_sentence_transformers.json</c> <c>prompts.query</c>, and the commands that embed queries read it back:
/// <c>skald benchmark</c> / <c>evaluate</c> (<see cref="EvaluationEmbeddingModel"/>) embed a query exactly as
/// <c>skald encode --instruction</c> does, documents without; <c>skald index build</c> records it (or its
/// <c>--query-instruction</c>) in the index, and <c>skald search</c> and <c>serve --index</c> embed queries with the recorded one. The
/// instruction was not saved, so these embedded queries without it, unlike the run.
/// </summary>
public sealed class Llm2VecSavedInstructionTests
{
    private const string Instruction = "Gitt et spørsmål, finn avsnittet som svarer";
    private const string Query = "Når går ferja til Bergen?";
    private const string Document = "Ferja til Bergen går klokka sju hver morgen.";
    private readonly string dir = TestPaths.NewTempDir();

    /// <summary>Two LoRA steps on the tiny Qwen2 decoder made bidirectional, saved as an adapter or merged.</summary>
    private string Train(bool merged)
    {
        string data = TestPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"anchor\": \"Når går ferja {i}?\", \"positive\": \"Ferja går klokka {i}.\"}}\n")));
        string output = Path.Combine(dir, merged ? "merged" : "adapter");
        string config = TestPaths.WriteFile(dir, $"c{Guid.NewGuid():N}.yaml", $"""
            model: {"{"}path: {TestPaths.FixtureModel("decoder-qwen2")}, attention: bidirectional{"}"}
            data: {"{"}train: {data}, instruction: "{Instruction}"{"}"}
            training: {"{"}batch_size: 4, max_steps: 2{"}"}
            loss: {"{"}type: mnrl{"}"}
            lora: {"{"}r: 2, alpha: 4{(merged ? ", save: merged" : "")}{"}"}
            output: {"{"}dir: {output}, save_steps: 0, tensorboard: false{"}"}
            """);
        var r = InProcessSkald.Capture("train", "--config", config, "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        return Path.Combine(output, "final");
    }

    /// <summary><c>skald encode</c> of one text (with <paramref name="instruction"/> when given), read from its .npy.</summary>
    private float[] Encode(string model, string text, string? instruction)
    {
        string input = TestPaths.WriteFile(dir, $"t{Guid.NewGuid():N}.txt", text + "\n"), output = Path.Combine(dir, $"e{Guid.NewGuid():N}.npy");
        string[] args = ["encode", "--model", model, "--input", input, "--output", output];
        var r = InProcessSkald.Capture(instruction is null ? args : [.. args, "--instruction", instruction]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        byte[] npy = File.ReadAllBytes(output);
        int start = 10 + BinaryPrimitives.ReadUInt16LittleEndian(npy.AsSpan(8)); // npy 1.0: magic, version, header length, header
        var values = new float[(npy.Length - start) / 4];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(npy.AsSpan(start + 4 * i));
        return values;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheRunsInstructionIsSavedAndBenchmarkEmbedsQueriesWithIt(bool merged)
    {
        string final = Train(merged);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(final, "config_sentence_transformers.json"))))
            Assert.Equal(Instruction, config.RootElement.GetProperty("prompts").GetProperty("query").GetString());
        float[] instructed = Encode(final, Query, Instruction), plain = Encode(final, Query, null);
        Assert.NotEqual(instructed, plain);
        // the model benchmark, the pipeline's benchmark stage and evaluate run
        using var model = EvaluationEmbeddingModel.Load(final);
        Assert.Equal(instructed, model.Embed([Query], TextRole.Query)[0]);
        Assert.Equal(plain, model.Embed([Query], TextRole.Document)[0]);
        Assert.Equal(Instruction, model.Metadata["query_prompt"]);
    }

    [Fact]
    public void AnIndexRecordsTheInstructionAndSearchEmbedsQueriesWithIt()
    {
        string final = Train(merged: false), corpus = TestPaths.WriteFile(dir, "corpus.jsonl", $"{{\"_id\": \"d1\", \"text\": \"{Document}\"}}\n");
        string Build(string name, params string[] extra)
        {
            string folder = Path.Combine(dir, name);
            var r = InProcessSkald.Capture(["index", "build", "--model", final, "--corpus", corpus, "--output", folder, "-q", .. extra]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return folder;
        }
        string saved = Build("saved"), other = Build("other", "--query-instruction", "Finn et avsnitt"), none = Build("none", "--query-instruction", "");
        string Recorded(string folder)
        {
            using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json")));
            return manifest.RootElement.GetProperty("query_instruction").GetString()!;
        }
        Assert.Equal(Instruction, Recorded(saved));
        Assert.Equal("Finn et avsnitt", Recorded(other));
        var info = InProcessSkald.Capture("index", "info", "--index", saved, "--format", "json");
        Assert.True(info.ExitCode == 0, info.Stderr);
        using (var shown = JsonDocument.Parse(info.Stdout))
            Assert.Equal(Instruction, shown.RootElement.GetProperty("query_instruction").GetString());

        float[] document = Encode(final, Document, null);
        double Score(string folder)
        {
            var r = InProcessSkald.Capture("search", "--index", folder, "--query", Query, "--mode", "dense", "--format", "json");
            Assert.True(r.ExitCode == 0, r.Stderr);
            using var json = JsonDocument.Parse(r.Stdout);
            return json.RootElement.GetProperty("results")[0].GetProperty("score").GetDouble();
        }
        double savedScore = Score(saved), otherScore = Score(other);
        Assert.Equal("", Recorded(none)); // told none: queries get none, not the folder's
        Assert.Equal(Skald.Tests.TestVectors.Cosine(Encode(final, Query, null), document), Score(none), 5);
        Assert.Equal(Skald.Tests.TestVectors.Cosine(Encode(final, Query, Instruction), document), savedScore, 5);
        Assert.Equal(Skald.Tests.TestVectors.Cosine(Encode(final, Query, "Finn et avsnitt"), document), otherScore, 5);
        Assert.True(Math.Abs(savedScore - Skald.Tests.TestVectors.Cosine(Encode(final, Query, null), document)) > 1e-4, "the instruction changes the score");
    }

    [Fact]
    public void ServeOverAnIndexGivesQueriesItsInstructionUnlessToldAnother()
    {
        var manifest = new Skald.Retrieval.Index.IndexManifest { QueryInstruction = Instruction };
        using (var llm2vec = Skald.Models.SentenceEncoder.Load(TestPaths.FixtureModel("llm2vec-xlmr")))
        {
            Assert.Equal(Instruction, Commands.ServeCommand.QueryInstructionOf(null, llm2vec, manifest));
            Assert.Equal("Finn et avsnitt", Commands.ServeCommand.QueryInstructionOf("Finn et avsnitt", llm2vec, manifest));
            Assert.Null(Commands.ServeCommand.QueryInstructionOf(null, llm2vec, null)); // no index: the folder's own query prompt
        }
        using var bert = Skald.Models.SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        Assert.Null(Commands.ServeCommand.QueryInstructionOf(null, bert, manifest));
    }

    [Fact]
    public void AQueryInstructionForAnIndexOfAnotherModelIsRefused()
    {
        string corpus = TestPaths.WriteFile(dir, "corpus.jsonl", $"{{\"_id\": \"d1\", \"text\": \"{Document}\"}}\n");
        var r = InProcessSkald.Capture("index", "build", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--corpus", corpus,
            "--output", Path.Combine(dir, "idx"), "--query-instruction", "Finn svaret");
        SkaldProcess.AssertUserError(r, 2, "--query-instruction is for an LLM2Vec --model (llm2vec_config.json)");
        Assert.False(Directory.Exists(Path.Combine(dir, "idx")));
    }
}
