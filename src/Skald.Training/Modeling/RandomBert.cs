using System.Globalization;
using Skald.Models.Checkpoints;
using Skald.Tensors;

namespace Skald.Training.Modeling;

/// <summary>Shape of a new BERT encoder (the config.json values that matter).</summary>
public sealed record BertShape(int Hidden = 128, int Layers = 2, int Heads = 4, int Intermediate = 512,
    int MaxPositions = 128, string HiddenAct = "gelu");

/// <summary>
/// Creates a BERT model folder from random initialisation, as transformers' BertPreTrainedModel._init_weights does:
/// weights N(0, 0.02²), biases 0, LayerNorm weight 1 and bias 0, the padding row of the word embeddings 0.
/// The folder is a plain Hugging Face folder (config.json, model.safetensors, tokenizer.json): loading it gives mean
/// pooling, as sentence-transformers does.
/// </summary>
public static class RandomBert
{
    /// <summary>Writes the folder and returns its path.</summary>
    public static string Create(string dir, string tokenizerJson, BertShape shape, ulong seed)
    {
        var tokenizer = Tokenizers.Tokenizer.FromFile(tokenizerJson);
        int vocab = tokenizer.VocabSize, c = shape.Hidden, padId = tokenizer.PadTokenId ?? 0;
        if (c % shape.Heads != 0) throw new ArgumentException($"hidden {c} is not a multiple of heads {shape.Heads}");
        Directory.CreateDirectory(dir);
        var rng = new SkaldRandom(seed);
        var tensors = new List<TensorToWrite>();
        float[] Normal(int n)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (float)(rng.NextGaussian() * 0.02);
            return a;
        }
        void Add(string name, float[] data, params int[] dims) => tensors.Add(new TensorToWrite(name, dims, data));
        void LayerNorm(string path)
        {
            Add(path + ".weight", Enumerable.Repeat(1f, c).ToArray(), c);
            Add(path + ".bias", new float[c], c);
        }
        void Linear(string path, int outF, int inF)
        {
            Add(path + ".weight", Normal(outF * inF), outF, inF);
            Add(path + ".bias", new float[outF], outF);
        }
        var word = Normal(vocab * c);
        Array.Clear(word, padId * c, c);
        Add("embeddings.word_embeddings.weight", word, vocab, c);
        Add("embeddings.position_embeddings.weight", Normal(shape.MaxPositions * c), shape.MaxPositions, c);
        Add("embeddings.token_type_embeddings.weight", Normal(2 * c), 2, c);
        LayerNorm("embeddings.LayerNorm");
        for (int l = 0; l < shape.Layers; l++)
        {
            string p = $"encoder.layer.{l}";
            Linear($"{p}.attention.self.query", c, c);
            Linear($"{p}.attention.self.key", c, c);
            Linear($"{p}.attention.self.value", c, c);
            Linear($"{p}.attention.output.dense", c, c);
            LayerNorm($"{p}.attention.output.LayerNorm");
            Linear($"{p}.intermediate.dense", shape.Intermediate, c);
            Linear($"{p}.output.dense", c, shape.Intermediate);
            LayerNorm($"{p}.output.LayerNorm");
        }
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors);
        string config = string.Create(CultureInfo.InvariantCulture, $$"""
            {
              "architectures": ["BertModel"],
              "model_type": "bert",
              "vocab_size": {{vocab}},
              "hidden_size": {{c}},
              "num_hidden_layers": {{shape.Layers}},
              "num_attention_heads": {{shape.Heads}},
              "intermediate_size": {{shape.Intermediate}},
              "hidden_act": "{{shape.HiddenAct}}",
              "hidden_dropout_prob": 0.1,
              "attention_probs_dropout_prob": 0.1,
              "max_position_embeddings": {{shape.MaxPositions}},
              "type_vocab_size": 2,
              "initializer_range": 0.02,
              "layer_norm_eps": 1e-12,
              "pad_token_id": {{padId}},
              "position_embedding_type": "absolute"
            }
            """);
        File.WriteAllText(Path.Combine(dir, "config.json"), config + "\n");
        File.Copy(tokenizerJson, Path.Combine(dir, "tokenizer.json"), overwrite: true);
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
            $$"""{"model_max_length": {{shape.MaxPositions}}, "tokenizer_class": "PreTrainedTokenizerFast"}""" + "\n");
        return dir;
    }
}
