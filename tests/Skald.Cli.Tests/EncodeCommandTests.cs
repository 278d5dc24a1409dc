using System.Text.Json;

namespace Skald.Cli.Tests;

/// <summary>End-to-end <c>skald encode</c> / <c>info</c> against the PyTorch reference fixtures.</summary>
public sealed class EncodeCommandTests
{
    private static (List<string> Texts, List<float[]> Embeddings) Expected(string model)
    {
        var texts = new List<string>();
        var embeddings = new List<float[]>();
        foreach (var line in File.ReadLines(Path.Combine(TestPaths.FixtureModel(model), "expected.jsonl")))
        {
            if (line.Length == 0) continue;
            using var doc = JsonDocument.Parse(line);
            texts.Add(doc.RootElement.GetProperty("text").GetString()!);
            embeddings.Add(doc.RootElement.GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray());
        }
        return (texts, embeddings);
    }

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("bert-uncased-max")]
    [InlineData("xlmr-cls-f16")]
    public void JsonlOutputMatchesReference(string model)
    {
        var (texts, expected) = Expected(model);
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, texts.Select(t => JsonSerializer.Serialize(new { text = t })));
        var r = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel(model), "--input", input, "--output", output, "--batch-size", "5");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = File.ReadAllLines(output);
        Assert.Equal(texts.Count, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            var actual = JsonSerializer.Deserialize<float[]>(lines[i])!;
            Assert.Equal(expected[i].Length, actual.Length);
            for (int j = 0; j < actual.Length; j++) Assert.True(MathF.Abs(actual[j] - expected[i][j]) <= 1e-5f, $"line {i + 1} component {j}");
        }
    }

    [Fact]
    public void InstructionGoesToLlm2VecModels()
    {
        // fixtures/models/llm2vec-xlmr: LLM2Vec's encode of (instruction, text) pairs (make_llm2vec.py).
        const string instruction = "Finn et avsnitt som svarer på spørsmålet";
        var rows = File.ReadLines(Path.Combine(TestPaths.FixtureModel("llm2vec-xlmr"), "expected.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement).Where(r => r.GetProperty("instruction").GetString() == instruction).Take(4).ToList();
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "q.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, rows.Select(r => JsonSerializer.Serialize(new { text = r.GetProperty("text").GetString() })));
        var r = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("llm2vec-xlmr"), "--input", input, "--output", output,
            "--instruction", instruction);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = File.ReadAllLines(output);
        Assert.Equal(rows.Count, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            var actual = JsonSerializer.Deserialize<float[]>(lines[i])!;
            var expected = rows[i].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            for (int j = 0; j < actual.Length; j++) Assert.True(MathF.Abs(actual[j] - expected[j]) <= 1e-5f, $"line {i + 1} component {j}");
        }
        // A sentence-transformers model refuses an instruction: one line naming the folder, exit 1.
        var refused = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", input, "--output", output,
            "--instruction", instruction);
        SkaldProcess.AssertUserError(refused, 1, "instructions are for LLM2Vec models");
    }

    [Fact]
    public void NpyOutputHasShapeAndValues()
    {
        var (texts, expected) = Expected("bert-cased-mean");
        texts = texts.Where(t => !string.IsNullOrWhiteSpace(t) && !t.Contains('\n')).ToList();
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.txt"), output = Path.Combine(dir, "out.npy");
        File.WriteAllText(input, string.Join("\n", texts.Take(5)) + "\n");
        var r = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("bert-cased-mean"), "--input", input, "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);

        var bytes = File.ReadAllBytes(output);
        Assert.Equal(0x93, bytes[0]);
        Assert.Equal("NUMPY", System.Text.Encoding.ASCII.GetString(bytes, 1, 5));
        int headerLength = BitConverter.ToUInt16(bytes, 8);
        string header = System.Text.Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Contains("'descr': '<f4'", header);
        Assert.Contains("'shape': (5, 32)", header);
        var values = new float[5 * 32];
        Buffer.BlockCopy(bytes, 10 + headerLength, values, 0, values.Length * 4);
        Assert.Equal(10 + headerLength + values.Length * 4, bytes.Length);
        var expectedByText = Expected("bert-cased-mean");
        for (int i = 0; i < 5; i++)
        {
            var e = expectedByText.Embeddings[expectedByText.Texts.IndexOf(texts[i])];
            for (int j = 0; j < 32; j++) Assert.True(MathF.Abs(values[i * 32 + j] - e[j]) <= 1e-5f);
        }
    }

    [Fact]
    public void InfoDescribesTheModel()
    {
        var r = InProcessSkald.Capture("info", "--model", TestPaths.FixtureModel("bert-uncased-max"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("model_type bert", r.Stdout);
        Assert.Contains("embedding dim:    16", r.Stdout);
        Assert.Contains("max length:       32", r.Stdout);
        Assert.Contains("pooling:          max", r.Stdout);
        Assert.Contains("dense:            32 → 16", r.Stdout);
        Assert.Contains("similarity:       dot", r.Stdout);
        Assert.Contains("WordPiece", r.Stdout);
        Assert.Contains("padding right", r.Stdout);
        var l = InProcessSkald.Capture("info", "--model", TestPaths.FixtureModel("llm2vec-xlmr"));
        Assert.True(l.ExitCode == 0, l.Stderr);
        Assert.Contains("pooling:          mean (llm2vec_config.json pooling_mode mean, instruction excluded)", l.Stdout);
        Assert.Contains("attention:        bidirectional (LLM2Vec), padding left", l.Stdout);
    }

    /// <summary>`skald encode --weights WEIGHTS` on a fixture stored in that precision equals its float32 reference within 1e-5.</summary>
    private static void EncodesAsReference(string fixture, string weights)
    {
        var (texts, expected) = Expected(fixture);
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "texts.txt"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, texts);
        var r = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel(fixture), "--input", input, "--output", output, "--weights", weights);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var lines = File.ReadAllLines(output);
        Assert.Equal(texts.Count, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            var actual = JsonSerializer.Deserialize<float[]>(lines[i])!;
            for (int j = 0; j < actual.Length; j++) Assert.True(MathF.Abs(actual[j] - expected[i][j]) <= 1e-5f, $"line {i + 1} component {j}");
        }
    }

    [Fact]
    public void F16WeightsEncodeAsTheReferenceAndInfoSaysSo()
    {
        // xlmr-cls-f16 is stored in float16 and its reference computed in float32 from those values: f16 in memory (kept
        // bit for bit, widened exactly in the GEMM) gives the same embeddings.
        EncodesAsReference("xlmr-cls-f16", "f16");
        var info = InProcessSkald.Capture("info", "--model", TestPaths.FixtureModel("xlmr-cls-f16"), "--weights", "f16");
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Contains("(float16 matrices, float32 norms and biases;", info.Stdout.Split('\n').Single(l => l.StartsWith("weight memory:", StringComparison.Ordinal)));
    }

    [Fact]
    public void Bf16WeightsEncodeAsTheReferenceAndInfoReportsTheirMemory()
    {
        // bert-bf16 is stored in bfloat16 and its reference computed in float32 from those values: bf16 in memory gives
        // the same embeddings.
        EncodesAsReference("bert-bf16", "bf16");
        var f32 = InProcessSkald.Capture("info", "--model", TestPaths.FixtureModel("bert-bf16"));
        var bf16 = InProcessSkald.Capture("info", "--model", TestPaths.FixtureModel("bert-bf16"), "--weights", "bf16");
        Assert.True(f32.ExitCode == 0 && bf16.ExitCode == 0, f32.Stderr + bf16.Stderr);
        string Line(string stdout) => stdout.Split('\n').Single(l => l.StartsWith("weight memory:", StringComparison.Ordinal));
        string f32Line = Line(f32.Stdout), bf16Line = Line(bf16.Stdout);
        Assert.Contains("(float32;", f32Line);
        Assert.Contains("(bfloat16 matrices, float32 norms and biases;", bf16Line);
        string bf16Size = bf16Line["weight memory:".Length..].Trim().Split(" (")[0];
        string f32Size = f32Line["weight memory:".Length..].Trim().Split(" (")[0];
        Assert.Contains($"; {bf16Size} with --weights bf16)", f32Line);
        Assert.Contains($"float32 would take {f32Size})", bf16Line);
        Assert.NotEqual(f32Size, bf16Size);
        // The vocabulary table stays in the safetensors file, whatever the precision.
        foreach (var info in new[] { f32, bf16 })
            Assert.Contains("in the file:      embeddings.word_embeddings.weight [800, 32], ", info.Stdout);
        var bad = InProcessSkald.Capture("info", "--model", TestPaths.FixtureModel("bert-bf16"), "--weights", "fp8");
        Assert.Equal(2, bad.ExitCode);
    }

    [Fact]
    public void CorruptWeightsAreNamed()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string weights = Path.Combine(model, "model.safetensors");
        File.Copy(Path.Combine(TestPaths.FixtureModel("bad"), "overlapping_offsets.safetensors"), weights, true);
        var r = RunOnOneText(model);
        SkaldProcess.AssertUserError(r, 1, weights, "overlap");
    }

    [Fact]
    public void UnsupportedArchitectureIsNamed()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        string config = Path.Combine(model, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"bert\"", "\"gpt_neox\""));
        SkaldProcess.AssertUserError(RunOnOneText(model), 1, config, "model_type \"gpt_neox\" is not supported");
    }

    [Fact]
    public void ALegacyPickleOnlyModelSaysHowToConvert()
    {
        string model = TestPaths.CopyOfFixtureModel("bert-cased-mean");
        File.Delete(Path.Combine(model, "model.safetensors"));
        File.WriteAllBytes(Path.Combine(model, "pytorch_model.bin"), [0x80, 0x02, 0x7d]);
        SkaldProcess.AssertUserError(RunOnOneText(model), 1, "pytorch_model.bin: a legacy torch.save file", "weights_only=True");
    }

    [Fact]
    public void ATorchSaveOnlyModelEncodesAsItsSafetensorsTwin()
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "t.txt");
        File.WriteAllText(input, "Hei på deg\nGod dag, verden\n");
        string[] Encode(string model, string output)
        {
            var r = InProcessSkald.Capture("encode", "--model", model, "--input", input, "--output", Path.Combine(dir, output));
            Assert.True(r.ExitCode == 0, r.Stderr);
            return File.ReadAllLines(Path.Combine(dir, output));
        }
        var bin = Encode(TestPaths.FixtureModel(Path.Combine("torch-bin", "bert-bf16")), "bin.jsonl");
        Assert.Equal(Encode(TestPaths.FixtureModel("bert-bf16"), "st.jsonl"), bin);
        Assert.Equal(2, bin.Length);
    }

    private static SkaldProcess.Result RunOnOneText(string model)
    {
        string dir = TestPaths.NewTempDir();
        string input = Path.Combine(dir, "t.txt");
        File.WriteAllText(input, "Hei på deg\n");
        return InProcessSkald.Capture("encode", "--model", model, "--input", input, "--output", Path.Combine(dir, "o.jsonl"));
    }

    [Fact]
    public void InfoNamesAModel2VecFolderAndEncodeRunsIt()
    {
        string dir = TestPaths.NewTempDir();
        string tokenizer = Path.Combine(TestPaths.FixtureModel("bert-cased-mean"), "tokenizer.json");
        File.Copy(tokenizer, Path.Combine(dir, "tokenizer.json"));
        int vocab = Skald.Tokenizers.Tokenizer.FromFile(tokenizer).IdBound;
        Skald.Models.Checkpoints.SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"),
            [new("embeddings", [vocab, 8], Enumerable.Range(0, vocab * 8).Select(i => (float)Math.Cos(i)).ToArray())]);
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"model_type": "model2vec", "normalize": true, "hidden_dim": 8}""");
        var r = InProcessSkald.Capture("info", "--model", dir);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("format:           Model2Vec", r.Stdout);
        Assert.Contains("embedding dim:    8", r.Stdout);
        string input = Path.Combine(dir, "in.txt"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllText(input, "Toget går klokka sju.\n");
        r = InProcessSkald.Capture("encode", "--model", dir, "--input", input, "--output", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Single(File.ReadAllLines(output));
    }
}
