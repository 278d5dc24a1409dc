using Skald.Models;
using Skald.Models.Checkpoints;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald truncate-layers --model ADAPTER</c>: a PEFT adapter folder (or a sentence-transformers folder saved with an
/// adapter on its Transformer) is cut as the model it loads as, its base with the adapter merged: the result is a plain
/// model folder that encodes as the base merged by hand (W + alpha/r·B·A) and then cut does, and differs from the base cut alone;
/// an output inside the base it reads is refused as one inside the adapter folder is, and the base is left as it was.
/// </summary>
public sealed class TruncateLayersAdapterTests : IDisposable
{
    private readonly string dir = TestPaths.NewTempDir();

    private static string BaseModel => Path.Combine(TestPaths.Fixtures, "training", "bert-4layers");

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static float[] Values(int n, int seed) => [.. Enumerable.Range(0, n).Select(i => 0.08f * MathF.Sin(seed * 13 + i * 0.7f))];

    // A rank-2 LoRA (alpha 4: scale 2) on the query projections [32, 32] of layer 0, kept by the cut, and layer 3, cut away.
    private static void WriteAdapter(string folder, string baseModel)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"),
            $$"""{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["query"], "base_model_name_or_path": {{System.Text.Json.JsonSerializer.Serialize(baseModel)}}}""");
        var tensors = new List<TensorToWrite>();
        foreach (int layer in new[] { 0, 3 })
        {
            string module = $"base_model.model.encoder.layer.{layer}.attention.self.query";
            tensors.Add(new(module + ".lora_A.weight", [2, 32], Values(64, layer + 1)));
            tensors.Add(new(module + ".lora_B.weight", [32, 2], Values(64, layer + 5)));
        }
        SafeTensorsWriter.Write(Path.Combine(folder, "adapter_model.safetensors"), tensors);
    }

    // The base with layer 0's query weight merged by hand: W[o, i] += 2 · Σ_r B[o, r] · A[r, i] (layer 3 is cut anyway).
    private string MergedByHand()
    {
        string folder = TestPaths.CopyFolder(BaseModel, Path.Combine(dir, "merged-by-hand"));
        string file = Path.Combine(folder, "model.safetensors");
        var tensors = new List<TensorToWrite>();
        using (var st = SafeTensorsFile.Open(file))
        {
            foreach (var (key, info) in st.Tensors.Where(t => t.Value.DType == SafeTensorsDType.F32))
            {
                float[] w = st.ReadFloat32(key);
                if (key == "encoder.layer.0.attention.self.query.weight")
                {
                    float[] a = Values(64, 1), b = Values(64, 5);
                    for (int o = 0; o < 32; o++)
                    {
                        for (int i = 0; i < 32; i++) w[o * 32 + i] += 2f * (b[o * 2] * a[i] + b[o * 2 + 1] * a[32 + i]);
                    }
                }
                tensors.Add(new(key, info.Shape, w));
            }
        }
        SafeTensorsWriter.Write(file, tensors);
        return folder;
    }

    private string Cut(string model, string name)
    {
        string output = Path.Combine(dir, name);
        var r = InProcessSkald.Capture("truncate-layers", "--model", model, "--layers", "2", "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return output;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // a sentence-transformers folder saved after add_adapter: modules, config and tokenizer beside the adapter, no weights
    public void AnAdapterIsCutAsItsBaseWithTheAdapterMerged(bool sentenceTransformersLayout)
    {
        string adapter = Path.Combine(dir, "adapter");
        if (sentenceTransformersLayout)
        {
            TestPaths.CopyFolder(BaseModel, adapter);
            File.Delete(Path.Combine(adapter, "model.safetensors"));
        }
        WriteAdapter(adapter, BaseModel);
        string fromAdapter = Cut(adapter, "cut-adapter");
        string expected = Cut(MergedByHand(), "cut-expected");
        string plain = Cut(BaseModel, "cut-plain");

        Assert.False(File.Exists(Path.Combine(fromAdapter, "adapter_config.json"))); // a plain model folder, the adapter merged
        Assert.False(File.Exists(Path.Combine(fromAdapter, "adapter_model.safetensors")));
        Assert.True(File.Exists(Path.Combine(fromAdapter, "modules.json")));
        Assert.Contains("\"num_hidden_layers\": 2", File.ReadAllText(Path.Combine(fromAdapter, "config.json")));
        string[] texts = ["Toget går klokka sju.", "Kor mykje kostar billetten?"];
        using var viaAdapter = SentenceEncoder.Load(fromAdapter);
        using var byHand = SentenceEncoder.Load(expected);
        using var basePlain = SentenceEncoder.Load(plain);
        var got = viaAdapter.Encode(texts);
        var want = byHand.Encode(texts);
        for (int t = 0; t < texts.Length; t++)
        {
            for (int d = 0; d < want[t].Length; d++) Assert.True(Math.Abs(want[t][d] - got[t][d]) <= 1e-5, $"text {t}, dimension {d}: {got[t][d]} vs {want[t][d]}");
        }
        Assert.True(want[0].Zip(basePlain.Encode(texts)[0]).Max(p => Math.Abs(p.First - p.Second)) > 1e-3); // the adapter matters
    }

    [Fact]
    public void AnOutputInsideTheAdaptersBaseIsRefused()
    {
        string baseCopy = TestPaths.CopyFolder(BaseModel, Path.Combine(dir, "base"));
        string adapter = Path.Combine(dir, "adapter");
        WriteAdapter(adapter, baseCopy);
        string output = Path.Combine(baseCopy, "cut");
        var before = Directory.EnumerateFileSystemEntries(baseCopy, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        SkaldProcess.AssertUserError(InProcessSkald.Capture("truncate-layers", "--model", adapter, "--layers", "2", "--output", output), 2,
            $"--output {output} is inside the input {baseCopy}");
        Assert.Equal(before, Directory.EnumerateFileSystemEntries(baseCopy, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
    }
}
