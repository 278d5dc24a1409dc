using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

/// <summary>
/// HF Qwen2Model (the bench decoder's architecture: RMSNorm, rotary positions, grouped-query attention with q/k/v
/// biases, SwiGLU MLP) in TorchSharp, as a .NET user would write it with TorchSharp's own ops (F.linear, F.silu,
/// F.scaled_dot_product_attention with is_causal), its tensors keyed by the checkpoint's names and read from the
/// sharded model.safetensors (F32). Inference only; the forward follows transformers' modeling_qwen2
/// (https://github.com/huggingface/transformers/blob/v4.56.1/src/transformers/models/qwen2/modeling_qwen2.py).
/// </summary>
sealed class TorchQwen2
{
    readonly Dictionary<string, Tensor> w = [];

    public int Hidden { get; private set; }
    public int Layers { get; private set; }
    public int Heads { get; private set; }
    public int KvHeads { get; private set; }
    public int Vocab { get; private set; }
    public double Eps { get; private set; }
    public double Theta { get; private set; }

    public static TorchQwen2 Load(string dir)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json")));
        var c = config.RootElement;
        var model = new TorchQwen2
        {
            Hidden = c.GetProperty("hidden_size").GetInt32(),
            Layers = c.GetProperty("num_hidden_layers").GetInt32(),
            Heads = c.GetProperty("num_attention_heads").GetInt32(),
            KvHeads = c.GetProperty("num_key_value_heads").GetInt32(),
            Vocab = c.GetProperty("vocab_size").GetInt32(),
            Eps = c.GetProperty("rms_norm_eps").GetDouble(),
            Theta = c.TryGetProperty("rope_theta", out var t) ? t.GetDouble() : 10000.0,
        };
        string index = Path.Combine(dir, "model.safetensors.index.json");
        IEnumerable<string> files = File.Exists(index)
            ? JsonDocument.Parse(File.ReadAllText(index)).RootElement.GetProperty("weight_map").EnumerateObject()
                .Select(e => e.Value.GetString()!).Distinct()
            : ["model.safetensors"];
        foreach (var file in files) model.ReadShard(Path.Combine(dir, file));
        return model;
    }

    // The LM head is left out: embeddings need the last hidden state only (the bench decoder ties it to the table anyway).
    void ReadShard(string path)
    {
        foreach (var (key, tensor) in TorchSafetensors.Read(path, key => key != "lm_head.weight")) w[key] = tensor;
    }

    Tensor W(string key) => w[key];

    /// <summary>x / sqrt(mean(x²) + eps) · weight over the last dimension.</summary>
    Tensor RmsNorm(Tensor x, string key) => x * torch.rsqrt(x.pow(2).mean([-1L], keepdim: true) + Eps) * W(key);

    /// <summary>
    /// Rotary tables [T, D] of positions 0..T−1: cos and sin of t·θ^(−2i/D), the D/2 frequencies repeated as
    /// transformers concatenates them (the rotate-half layout).
    /// </summary>
    (Tensor Cos, Tensor Sin) Rope(long t, int d)
    {
        var inv = 1.0 / torch.pow(Theta, torch.arange(0, d, 2, dtype: ScalarType.Int64).to_type(ScalarType.Float32) / d);
        var freqs = torch.outer(torch.arange(t, dtype: ScalarType.Int64).to_type(ScalarType.Float32), inv.to_type(ScalarType.Float32));
        var emb = torch.cat([freqs, freqs], -1);
        return (emb.cos(), emb.sin());
    }

    // x·cos + rotate_half(x)·sin, rotate_half(x) = [−x₂, x₁] with x₁, x₂ the two halves of the head dimension.
    static Tensor Rotate(Tensor x, Tensor cos, Tensor sin)
    {
        long half = x.shape[^1] / 2;
        var rotated = torch.cat([-x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1);
        return x * cos + rotated * sin;
    }

    /// <summary>Last hidden states [B, T, C] of ids [B, T], causal attention, no padding (every mask entry 1).</summary>
    public Tensor Forward(Tensor ids)
    {
        long b = ids.shape[0], t = ids.shape[1];
        int c = Hidden, h = Heads, kv = KvHeads, d = Hidden / Heads;
        var (cos, sin) = Rope(t, d);
        var x = W("model.embed_tokens.weight").index_select(0, ids.reshape(-1)).view(b, t, c);
        for (int l = 0; l < Layers; l++)
        {
            string a = $"model.layers.{l}.";
            // Each layer's intermediates are freed when it ends (only its output moves out), as a careful user writes it.
            using var layer = torch.NewDisposeScope();
            var n = RmsNorm(x, a + "input_layernorm.weight");
            // [B, T, heads·D] → [B, heads, T, D]
            Tensor Project(string name, int heads) => F.linear(n, W(a + $"self_attn.{name}.weight"), W(a + $"self_attn.{name}.bias"))
                .view(b, t, heads, d).transpose(1, 2);
            var q = Rotate(Project("q_proj", h), cos, sin);
            var k = Rotate(Project("k_proj", kv), cos, sin).repeat_interleave(h / kv, 1);
            var v = Project("v_proj", kv).repeat_interleave(h / kv, 1);
            // (TorchSharp 0.107 names the flag is_casual)
            var context = F.scaled_dot_product_attention(q, k, v, is_casual: true).transpose(1, 2).reshape(b, t, c);
            x = x + F.linear(context, W(a + "self_attn.o_proj.weight"));
            n = RmsNorm(x, a + "post_attention_layernorm.weight");
            var gated = F.silu(F.linear(n, W(a + "mlp.gate_proj.weight"))) * F.linear(n, W(a + "mlp.up_proj.weight"));
            x = layer.MoveToOuter(x + F.linear(gated, W(a + "mlp.down_proj.weight")));
        }
        return RmsNorm(x, "model.norm.weight");
    }
}
