using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

/// <summary>
/// HF BertModel's encoder (absolute positions, post-LayerNorm, erf GELU) in TorchSharp, its parameters keyed by the
/// checkpoint's names and read from model.safetensors (F32 only), so it computes what Skald computes on the same folder.
/// </summary>
sealed class TorchBert
{
    readonly Dictionary<string, Parameter> p = [];

    public int Hidden { get; private set; }
    public int Layers { get; private set; }
    public int Heads { get; private set; }
    public double Eps { get; private set; }

    /// <summary>All parameters by checkpoint key.</summary>
    public IReadOnlyDictionary<string, Parameter> Parameters => p;

    public static TorchBert Load(string dir)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json")));
        var root = config.RootElement;
        var bert = new TorchBert
        {
            Hidden = root.GetProperty("hidden_size").GetInt32(),
            Layers = root.GetProperty("num_hidden_layers").GetInt32(),
            Heads = root.GetProperty("num_attention_heads").GetInt32(),
            Eps = root.TryGetProperty("layer_norm_eps", out var e) ? e.GetDouble() : 1e-12,
        };
        // mean pooling: the pooler is unused
        var tensors = TorchSafetensors.Read(Path.Combine(dir, "model.safetensors"), key => !key.StartsWith("pooler.", StringComparison.Ordinal) && !key.StartsWith("bert.pooler.", StringComparison.Ordinal));
        foreach (var (name, tensor) in tensors)
        {
            string key = name.StartsWith("bert.", StringComparison.Ordinal) ? name[5..] : name;
            bert.p[key] = new Parameter(tensor, requires_grad: true);
        }
        return bert;
    }

    Tensor W(string key) => p[key];

    /// <summary>Last hidden states [B, T, C] of ids [B, T] (no padding: every mask entry is 1, as in the benches).</summary>
    public Tensor Forward(Tensor ids, double dropout)
    {
        bool training = dropout > 0;
        long b = ids.shape[0], t = ids.shape[1];
        int c = Hidden, h = Heads, d = Hidden / Heads;
        using var positions = torch.arange(t, dtype: ScalarType.Int64);
        var x = W("embeddings.word_embeddings.weight").index_select(0, ids.reshape(-1)).view(b, t, c)
              + W("embeddings.position_embeddings.weight").index_select(0, positions)
              + W("embeddings.token_type_embeddings.weight")[0];
        x = F.layer_norm(x, [c], W("embeddings.LayerNorm.weight"), W("embeddings.LayerNorm.bias"), Eps);
        x = F.dropout(x, dropout, training);
        for (int l = 0; l < Layers; l++)
        {
            string a = $"encoder.layer.{l}.";
            // [B, T, C] → [B, H, T, D]
            Tensor Heads(string name) => F.linear(x, W(a + $"attention.self.{name}.weight"), W(a + $"attention.self.{name}.bias"))
                .view(b, t, h, d).transpose(1, 2);
            var context = F.scaled_dot_product_attention(Heads("query"), Heads("key"), Heads("value"), p: training ? dropout : 0.0)
                .transpose(1, 2).reshape(b, t, c);
            var attn = F.linear(context, W(a + "attention.output.dense.weight"), W(a + "attention.output.dense.bias"));
            x = F.layer_norm(F.dropout(attn, dropout, training) + x, [c],
                W(a + "attention.output.LayerNorm.weight"), W(a + "attention.output.LayerNorm.bias"), Eps);
            var inter = F.gelu(F.linear(x, W(a + "intermediate.dense.weight"), W(a + "intermediate.dense.bias")));
            var output = F.linear(inter, W(a + "output.dense.weight"), W(a + "output.dense.bias"));
            x = F.layer_norm(F.dropout(output, dropout, training) + x, [c],
                W(a + "output.LayerNorm.weight"), W(a + "output.LayerNorm.bias"), Eps);
        }
        return x;
    }
}
