using Skald.Models;
using Skald.Models.Adapters;
using Skald.Models.Checkpoints;

namespace Skald.Training.Tests.Modeling;

/// <summary>
/// peft's rank_pattern on a saved adapter: a module's rank is its first matching pattern's (peft's get_pattern_key:
/// the name or a dotted suffix of it, as a regular expression), else r; tensors of another rank are one line.
/// </summary>
public sealed class LoraRankPatternTests
{
    private static readonly string Decoder = Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", "decoder-qwen2");

    private static string NewDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private sealed record Module(string Name, int Rank, int Out, float[] A, float[] B);

    private static Module Make(Random rng, string name, int rank, int outF)
    {
        float[] Values(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() - 0.5))];
        return new Module(name, rank, outF, Values(rank * 64), Values(outF * rank));
    }

    private static void Write(string dir, string config, IEnumerable<Module> modules)
    {
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), config);
        SafeTensorsWriter.Write(Path.Combine(dir, "adapter_model.safetensors"), [.. modules.SelectMany(m => new[]
        {
            new TensorToWrite($"base_model.model.{m.Name}.lora_A.weight", [m.Rank, 64], m.A),
            new TensorToWrite($"base_model.model.{m.Name}.lora_B.weight", [m.Out, m.Rank], m.B),
        })]);
    }

    [Fact]
    public void RankPatternGivesEachModuleItsRankAndScale()
    {
        string dir = NewDir();
        // "proj" is no dotted suffix of "…q_proj"; the regular expression picks layer 1's q_proj before the plain "q_proj".
        const string config = """
            {"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "k_proj"],
             "rank_pattern": {"proj": 6, "layers\\.1\\..*q_proj": 3, "q_proj": 2}, "alpha_pattern": {"k_proj": 12}}
            """;
        var rng = new Random(5);
        var modules = new[]
        {
            Make(rng, "layers.0.self_attn.q_proj", 2, 64), Make(rng, "layers.1.self_attn.q_proj", 3, 64), Make(rng, "layers.0.self_attn.k_proj", 4, 32),
        };
        var scales = new[] { 8f / 2, 8f / 3, 12f / 4 };
        Write(dir, config, modules);

        var read = LoraConfig.Read(Path.Combine(dir, "adapter_config.json"));
        Assert.Equal([2, 3, 4], modules.Select(m => read.RankFor(m.Name)));
        Assert.Equal(4, read.RankFor("layers.0.self_attn.v_proj"));
        Assert.Equal(6, read.RankFor("proj"));
        Assert.Equal(6, read.RankFor("layers.0.mlp.proj"));

        var base_ = SentenceEncoder.Load(Decoder).Transformer.Parameters.ToDictionary(p => p.Name);
        var merged = SentenceEncoder.Load(Decoder, [dir]).Transformer.Parameters.ToDictionary(p => p.Name);
        for (int i = 0; i < modules.Length; i++)
        {
            var (m, scale) = (modules[i], scales[i]);
            var w = base_[m.Name + ".weight"].Data.ToArray();
            var got = merged[m.Name + ".weight"].Data.ToArray();
            for (int o = 0; o < m.Out; o++)
            {
                for (int k = 0; k < 64; k++)
                {
                    double delta = 0;
                    for (int j = 0; j < m.Rank; j++) delta += (double)m.B[o * m.Rank + j] * m.A[j * 64 + k];
                    double expected = w[o * 64 + k] + scale * delta;
                    Assert.True(Math.Abs(expected - got[o * 64 + k]) <= 1e-5, $"{m.Name}[{o}, {k}]: expected {expected}, got {got[o * 64 + k]}");
                }
            }
        }
    }

    [Fact]
    public void TensorsOfAnotherRankThanTheConfigSaysAreOneLine()
    {
        string dir = NewDir();
        var rng = new Random(6);
        string file = Path.Combine(dir, "adapter_model.safetensors");

        // r says 8, the tensors are rank 4: scaling by 4 would be a guess, peft refuses to load it.
        Write(dir, """{"peft_type": "LORA", "r": 8, "lora_alpha": 16, "target_modules": ["q_proj"]}""", [Make(rng, "layers.0.self_attn.q_proj", 4, 64)]);
        var e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(Decoder, [dir]));
        Assert.Equal($"{file}: layers.0.self_attn.q_proj has rank 4 in its tensors but adapter_config.json gives it rank 8 (r = 8)", e.Message);

        // rank_pattern says 2 for q_proj, the tensors are rank 4 (= r).
        Write(dir, """{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["q_proj"], "rank_pattern": {"q_proj": 2}}""",
            [Make(rng, "layers.0.self_attn.q_proj", 4, 64)]);
        e = Assert.Throws<ModelFormatException>(() => SentenceEncoder.Load(Decoder, [dir]));
        Assert.Equal($"{file}: layers.0.self_attn.q_proj has rank 4 in its tensors but adapter_config.json gives it rank 2 (rank_pattern[\"q_proj\"] = 2)", e.Message);

        // A pattern that is no regular expression, or a rank that is no positive integer, names the key.
        string configPath = Path.Combine(dir, "adapter_config.json");
        File.WriteAllText(configPath, """{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["q_proj"], "rank_pattern": {"q_proj(": 2}}""");
        e = Assert.Throws<ModelFormatException>(() => LoraConfig.Read(configPath));
        Assert.StartsWith($"{configPath}: rank_pattern key \"q_proj(\" is not a valid regular expression", e.Message);
        File.WriteAllText(configPath, """{"peft_type": "LORA", "r": 4, "lora_alpha": 8, "target_modules": ["q_proj"], "rank_pattern": {"q_proj": 0}}""");
        e = Assert.Throws<ModelFormatException>(() => LoraConfig.Read(configPath));
        Assert.Equal($"{configPath}: rank_pattern[\"q_proj\"] must be a positive integer", e.Message);
    }
}
