using System.Globalization;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;

namespace Skald.Training.Modeling;

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
        // built in a staging sibling and moved into place whole (a killed run leaves no folder that looks like a model)
        StagingPaths.ReplaceFolder(dir, tmp =>
        {
            string configPath = Path.Combine(tmp, "config.json");
            File.WriteAllText(configPath, config + "\n");
            // The parameters are the architecture's own (one list of names), initialised as transformers does.
            var model = ArchitectureRegistry.Initialize(TransformerConfig.Load(configPath), seed);
            SafeTensorsWriter.Write(Path.Combine(tmp, "model.safetensors"),
                model.Parameters.Select(p => new TensorToWrite(p.Name, p.Shape, p.Data)));
            File.Copy(tokenizerJson, Path.Combine(tmp, "tokenizer.json"), overwrite: true);
            File.WriteAllText(Path.Combine(tmp, "tokenizer_config.json"),
                $$"""{"model_max_length": {{shape.MaxPositions}}, "tokenizer_class": "PreTrainedTokenizerFast"}""" + "\n");
        });
        return dir;
    }
}
