using Skald.Hub;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Tokenizers;

namespace Skald.Models.CrossEncoders;

/// <summary>A reranker over a causal language model's yes/no answer (<see cref="FromCausalLm"/>).</summary>
public sealed partial class CrossEncoder
{
    private static Encoding Joined(int[] ids) => new()
    {
        Ids = ids,
        Tokens = new string[ids.Length],
        TypeIds = new int[ids.Length],
        AttentionMask = [.. Enumerable.Repeat(1, ids.Length)],
        Offsets = new (int, int)[ids.Length],
        SpecialTokensMask = new int[ids.Length],
    };

    /// <summary>
    /// A reranker over a causal language model that answers a yes/no prompt (Qwen3-Reranker: <c>Qwen/Qwen3-Reranker-0.6B</c>
    /// as published, a *ForCausalLM folder): the pair is written into <paramref name="prompt"/> (default
    /// <see cref="PromptedPairs.Qwen3Reranker"/>), and the score is P(<paramref name="yes"/>) against
    /// <paramref name="no"/> at the last token, softmax over those two logits = σ(z_yes − z_no). That difference is one
    /// row, (W[yes] − W[no]) of the LM head (the tied embedding table when there is no lm_head), so the model is a
    /// decoder sequence classifier with that row as its score (vLLM's classifier_from_token).
    /// </summary>
    public static CrossEncoder FromCausalLm(string path, string yes = "yes", string no = "no", PromptedPairs? prompt = null,
        WeightPrecision precision = WeightPrecision.Float32)
    {
        path = HubResolver.Locate(path);
        var folder = ModelFolder.Read(path);
        string configPath = System.IO.Path.Combine(folder.TransformerPath, "config.json");
        var config = TransformerConfig.Load(configPath);
        if (SequenceClassificationHead.LayoutFor(config) != SequenceClassificationHead.HeadLayout.Decoder)
            throw new ModelFormatException($"{configPath}: a causal-LM reranker needs a decoder, not {config.ModelType}");
        var tokenizer = folder.LoadTokenizer();
        int TokenId(string token) => tokenizer.TokenToId(token)
            ?? throw new ModelFormatException($"{System.IO.Path.Combine(folder.TransformerPath, "tokenizer.json")}: no token \"{token}\" (the answer a causal-LM reranker reads)");
        int yesId = TokenId(yes), noId = TokenId(no);
        foreach (var (token, id) in new[] { (yes, yesId), (no, noId) })
        {
            if (id >= config.VocabSize)
                throw new ModelFormatException(
                    $"{System.IO.Path.Combine(folder.TransformerPath, "tokenizer.json")}: the answer token \"{token}\" has id {id}, but the " +
                    $"model's output has {config.VocabSize} rows (vocab_size): the tokenizer does not belong to this model");
        }
        using var weights = Checkpoint.OpenFolder(folder.TransformerPath, [.. ArchitectureRegistry.KeyPrefixes(config)]);
        var transformer = ArchitectureRegistry.Build(config, ParameterBuilder.FromCheckpoint(weights, precision: precision));
        try
        {
            return Reranker(path, folder, config, tokenizer, weights, transformer, yes, yesId, noId, prompt);
        }
        catch
        {
            foreach (var p in transformer.Parameters) p.CloseFile(); // a load that fails late (the head's rows, the prompt) leaves no file open
            throw;
        }
    }

    /// <summary>The rest of <see cref="FromCausalLm"/> once the transformer is built: the score row, the model, the prompt's check.</summary>
    private static CrossEncoder Reranker(string path, ModelFolder folder, TransformerConfig config, Tokenizer tokenizer,
        Checkpoint weights, ITransformer transformer, string yes, int yesId, int noId, PromptedPairs? prompt)
    {
        string lmHead = weights.Contains("lm_head.weight") ? "lm_head.weight" : "embed_tokens.weight";
        int c = config.HiddenSize;
        var rowYes = new float[c];
        var rowNo = new float[c];
        using (var table = weights.LeaveInFile(lmHead, config.VocabSize, c))
        {
            if (table is not null)
            {
                table.Widen((long)yesId * c, rowYes, WeightPrecision.Float32);
                table.Widen((long)noId * c, rowNo, WeightPrecision.Float32);
            }
            else
            {
                var all = weights.Read(lmHead, config.VocabSize, c);
                all.AsSpan(yesId * c, c).CopyTo(rowYes);
                all.AsSpan(noId * c, c).CopyTo(rowNo);
            }
        }
        var head = new SequenceClassificationHead(config, ParameterBuilder.FromInitializer((_, values) =>
        {
            for (int i = 0; i < values.Length; i++) values[i] = rowYes[i] - rowNo[i];
        }), 1);
        int max = Math.Min(folder.TokenizerMaxLength() ?? transformer.MaxSequenceLength, transformer.MaxSequenceLength);
        var model = new CrossEncoder(path, tokenizer, transformer, head, new CrossEncoderConfig(ScoreActivation.Sigmoid, [yes], PoolingMode.Cls),
            max, folder.PaddingSide ?? tokenizer.PaddingSide) { prompt = prompt ?? PromptedPairs.Qwen3Reranker };
        model.Tokenize([("", "")]); // a prompt longer than the model's positions: one line now, not at the first request
        return model;
    }

    /// <summary>The prompt a causal-LM reranker writes pairs into (<see cref="FromCausalLm"/>); null for a classifier.</summary>
    public PromptedPairs? Prompt => prompt;
}
