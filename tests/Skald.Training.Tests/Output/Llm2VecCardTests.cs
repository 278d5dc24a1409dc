using Skald.Training.Config;
using Skald.Training.Output;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Output;

/// <summary>
/// The model card of an LLM2Vec run shows how to load the folder so that it embeds as trained: LLM2Vec's loader (a
/// sentence-transformers load runs the decoder causally), the adapter onto its base, and the run's query instruction.
/// A run saved merged says its earlier adapters are in its weights: the card once told to apply them again "before this
/// adapter", on a folder that is no adapter.
/// </summary>
public sealed class Llm2VecCardTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private string Card(string model, string extra, string data, bool merged = false)
    {
        var config = ConfigLoader.Parse($$"""
            model: {path: {{model}}{{extra}}}
            data: {{data}}
            training: {batch_size: 4, max_steps: 1}
            loss: {type: mnrl}
            lora: {r: 2, alpha: 4{{(extra.Contains("adapters", StringComparison.Ordinal) ? ", save: merged, target_modules: [query, value]" : merged ? ", save: merged" : "")}}}
            output: {dir: {{Path.Combine(dir, "out")}}}
            """, "c.yaml");
        var setup = TrainingRun.Build(config);
        return ModelCard.Build(setup, [], new Dictionary<string, double>(), new TrainerState(), 0);
    }

    private string Pairs() => InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
        $"{{\"anchor\": \"Når går ferja {i}?\", \"positive\": \"Ferja går klokka {i}.\"}}\n")));

    [Fact]
    public void AnLlm2VecAdapterCardLoadsItWithLlm2VecOntoItsBaseWithTheRunsInstruction()
    {
        string card = Card(InfraPaths.FixtureModel("decoder-qwen2"), ", attention: bidirectional",
            $"{{train: {Pairs()}, instruction: \"Gitt et spørsmål, finn svaret\"}}");
        Assert.Contains("# LLM2Vec model based on decoder-qwen2\n", card);
        Assert.Contains("- **Model Type:** LLM2Vec (a decoder with bidirectional attention)", card);
        // decoder-qwen2 has 128 positions: LLM2Vec's default max_length 512 is cut to them, one length in both places
        Assert.Contains("  (pooling): mean (skip_instruction: true, max_length: 128, doc_max_length: 400)", card);
        Assert.Contains("- **Maximum Sequence Length:** 128 tokens\n", card);
        Assert.Contains("l2v = LLM2Vec.from_pretrained(\"path/to/decoder-qwen2\", peft_model_name_or_path=\"path/to/this/folder\")", card);
        Assert.Contains("queries = l2v.encode([[\"Gitt et spørsmål, finn svaret\", \"Hvor ligger legekontoret?\"]])", card);
        Assert.Contains("new Skald.Models.EncodeOptions { Instruction = \"Gitt et spørsmål, finn svaret\" }", card);
        Assert.DoesNotContain("SentenceTransformer(\"path/to/this/folder\")", card);
        Assert.DoesNotContain("'word_embedding_dimension': ?", card);
        Assert.Contains("The instruction is saved in this folder (`config_sentence_transformers.json` `prompts.query`)", card);
        // the hub's library and tags name what loads an adapter folder, not sentence-transformers (which would run it causally)
        Assert.StartsWith("---\nlibrary_name: peft\npipeline_tag: sentence-similarity\ntags:\n- llm2vec\n", card);
        Assert.DoesNotContain("- sentence-transformers\n", card);
        Assert.Contains("- Format: peft adapter folder with LLM2Vec's llm2vec_config.json", card);
    }

    [Fact]
    public void AMergedLlm2VecCardNamesTransformersAsItsLibrary()
    {
        string card = Card(InfraPaths.FixtureModel("decoder-qwen2"), ", attention: bidirectional",
            $"{{train: {Pairs()}}}", merged: true);
        Assert.StartsWith("---\nlibrary_name: transformers\npipeline_tag: sentence-similarity\ntags:\n- llm2vec\n", card);
        Assert.DoesNotContain("- sentence-transformers\n", card);
        Assert.DoesNotContain("folder layout", card);
        Assert.Contains("- Format: transformers model folder with LLM2Vec's llm2vec_config.json", card);
    }

    [Fact]
    public void AMergedRunOnEarlierAdaptersSaysTheyAreInItsWeights()
    {
        string adapter = Path.Combine(InfraPaths.FixtureModel("torch-bin"), "adapter-st");
        string card = Card(InfraPaths.FixtureModel("bert-cased-mean"), $", adapters: [{adapter}]", $"{{train: {Pairs()}}}");
        Assert.Contains($"- **Adapters merged into the base before training:** `{adapter}`, in this order; they are in this folder's weights, which load alone", card);
        Assert.DoesNotContain("apply them before this adapter", card);
        Assert.Contains("SentenceTransformer(\"path/to/this/folder\")", card);
    }
}
