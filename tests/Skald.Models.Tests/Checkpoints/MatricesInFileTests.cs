using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Quantization;

namespace Skald.Models.Tests.Checkpoints;

/// <summary>
/// A loaded model's float32 matrices stay in the safetensors file until first used (<see cref="ArchitectureRegistry.Load"/>
/// builds with <c>leaveMatricesInFile</c>), stacked ones (query, key and value) too: their values are those of the
/// weights read at load (a build through <see cref="ParameterBuilder.FromCheckpoint"/> without the option, the reference),
/// copied into memory on first need; an inference-only model turns each straight into its form, so a float32
/// checkpoint's Linear weights are never all held as float32 beside their packed or bfloat16 forms: packed-only encodes
/// bit for bit as the weights read at load, and bf16-only makes the same bfloat16 panels (read back value by value) and
/// the same hidden states bit for bit (a decoder with tied embeddings and one stored in bfloat16 too). The tensors left in
/// one file share one open handle, and a file cut short is refused at load, before any of its data is read.
/// </summary>
public sealed class MatricesInFileTests
{
    private static (ITransformer InFile, ITransformer Read) Both(string fixture)
    {
        string folder = TestPaths.FixtureModel(fixture);
        var config = TransformerConfig.Load(Path.Combine(folder, "config.json"));
        using var weights = Checkpoint.OpenFolder(folder, [.. ArchitectureRegistry.KeyPrefixes(config)]);
        return (ArchitectureRegistry.Load(folder), ArchitectureRegistry.Build(config, ParameterBuilder.FromCheckpoint(weights)));
    }

    private static TokenBatch Batch(ITransformer model)
    {
        const int batch = 3, seq = 9;
        var ids = new int[batch * seq];
        for (int i = 0; i < ids.Length; i++) ids[i] = 5 + (i * 131) % (model.Config.VocabSize - 10);
        return new TokenBatch(ids, Enumerable.Repeat(1, ids.Length).ToArray(), new int[ids.Length], batch, seq);
    }

    private static float[] Run(ITransformer model, Tape tape) => model.Forward(tape, Batch(model)).Span.ToArray();

    private static bool IsLinear(Parameter p) => p.Shape.Length == 2 && !p.IsTable
        && !Skald.Models.Tests.Quantization.Int8ArchitectureTests.NotLinear.Any(p.Name.Contains);

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("decoder-qwen2")]
    [InlineData("decoder-llama3-bf16")] // a bfloat16 checkpoint (as Qwen ships), widened exactly; its own lm_head
    public void MatricesStayInTheFileWithTheValuesReadAtLoad(string fixture)
    {
        var (inFile, read) = Both(fixture);
        var matrices = inFile.Parameters.Where(IsLinear).ToList();
        Assert.NotEmpty(matrices);
        Assert.All(matrices, p => Assert.True(p.IsFileBacked, $"{fixture}: {p.Name} was read at load"));
        Assert.Contains(matrices, p => p.Name.Contains("q_proj", StringComparison.Ordinal) || p.Name.Contains("query", StringComparison.Ordinal));
        Assert.DoesNotContain(read.Parameters, p => !p.IsTable && p.IsFileBacked);
        var byName = read.Parameters.ToDictionary(p => p.Name);
        foreach (var p in matrices)
        {
            var widened = new float[p.Length];
            p.Widen(0, widened); // read in the file, nothing kept
            Assert.True(p.IsFileBacked);
            Assert.Equal(byName[p.Name].Data.ToArray(), widened);
        }
        var first = matrices[0];
        Assert.Equal(byName[first.Name].Data.ToArray(), first.Data.ToArray()); // copied whole on first need
        Assert.False(first.IsFileBacked);
        Assert.Equal(Run(read, new Tape(recording: false)), Run(inFile, new Tape(recording: false)));
    }

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("decoder-qwen2")]
    [InlineData("decoder-llama3-bf16")]
    public void PackedOnlyFromTheFileEncodesAsTheWeightsReadAtLoad(string fixture)
    {
        var (inFile, read) = Both(fixture);
        var expected = Run(read, new Tape(recording: false) { PackWeights = true });
        Assert.All(inFile.Parameters.Where(IsLinear), p => Assert.True(p.IsFileBacked, $"{p.Name} was read at load"));
        var actual = Run(inFile, new Tape(recording: false) { PackWeights = true, KeepPackedOnly = true });
        Assert.Equal(expected, actual);
        Assert.Contains(inFile.Parameters, p => IsLinear(p) && p.IsPackedOnly);
        // Each matrix went from the file to its packed form, or was never used (a pooler): none holds float32 values.
        Assert.All(inFile.Parameters.Where(IsLinear), p => Assert.True(p.IsPackedOnly || p.IsFileBacked, $"{p.Name} holds float32 values"));
    }

    [Theory]
    [InlineData("bert-cased-mean")]
    [InlineData("decoder-qwen2")]
    [InlineData("decoder-llama3-bf16")]
    public void Bf16OnlyFromTheFileMakesThePanelsOfTheWeightsReadAtLoad(string fixture)
    {
        if (!Bf16Gemm.IsSupported) return; // (no bfloat16 panels on this CPU: nothing to compare)
        var (inFile, read) = Both(fixture);
        var probe = inFile.Parameters.First(IsLinear);
        var panels = Bf16Weights.For(probe)!; // a form made from the file, the weight's values not copied into memory
        Assert.True(probe.IsFileBacked);
        Assert.Equal(Bf16Weights.For(read.Parameters.First(p => p.Name == probe.Name))!.Packed.ToArray(), panels.Packed.ToArray());
        Bf16Weights.Drop(probe);

        var expected = Run(read, new Tape(recording: false) { Bf16Linear = true, KeepBf16Only = true });
        var actual = Run(inFile, new Tape(recording: false) { Bf16Linear = true, KeepBf16Only = true });
        Assert.Equal(expected, actual);
        var byName = read.Parameters.ToDictionary(p => p.Name);
        var linear = inFile.Parameters.Where(p => IsLinear(p) && p.IsBf16Only).ToList();
        Assert.NotEmpty(linear);
        foreach (var p in linear)
        {
            Assert.False(p.IsFileBacked, $"{p.Name} still reads its file");
            var mine = new float[p.Length];
            var theirs = new float[p.Length];
            p.Widen(0, mine); // the values of the panels
            byName[p.Name].Widen(0, theirs);
            Assert.True(byName[p.Name].IsBf16Only);
            Assert.Equal(theirs, mine);
        }
    }

    [OpenFilesFact]
    public void TheTensorsLeftInOneFileShareOneOpenHandleClosedWithTheLastOfThem()
    {
        foreach (string fixture in new[] { "bert-cased-mean", "bert-sharded" })
        {
            string folder = TestPaths.CopyOfFixtureModel(fixture); // a copy: tests running beside this one open the fixture's files
            var files = Directory.GetFiles(folder, "*.safetensors");
            var model = ArchitectureRegistry.Load(folder);
            var inFile = model.Parameters.Where(p => p.IsFileBacked).ToList();
            Assert.True(inFile.Count > files.Length, $"{fixture}: {inFile.Count} tensors left in {files.Length} files");
            Assert.All(files, f => Assert.Equal(1, OpenFiles.Count(f))); // one handle a file, not one a tensor
            var last = inFile[^1];
            foreach (var p in inFile.Where(p => p.Name != last.Name)) p.CloseFile();
            Assert.Equal(1, files.Sum(OpenFiles.Count)); // still read by the last one...
            var values = new float[last.Length];
            last.Widen(0, values);
            Assert.Equal(ReadAtLoad(folder, model, last.Name), values);
            last.CloseFile();
            Assert.All(files, f => Assert.Equal(0, OpenFiles.Count(f))); // ...and closed with it
        }
    }

    private static float[] ReadAtLoad(string folder, ITransformer model, string name)
    {
        using var weights = Checkpoint.OpenFolder(folder, [.. ArchitectureRegistry.KeyPrefixes(model.Config)]);
        var read = ArchitectureRegistry.Build(model.Config, ParameterBuilder.FromCheckpoint(weights));
        var values = read.Parameters.First(p => p.Name == name).Data.ToArray();
        foreach (var p in read.Parameters) p.CloseFile(); // its vocabulary table is left in the file too
        return values;
    }

    [Theory]
    [InlineData("bert-cased-mean", "model.safetensors")]
    [InlineData("bert-sharded", "model-00002-of-00002.safetensors")]
    [InlineData("decoder-qwen2", "model.safetensors")]
    public void ACheckpointCutShortFailsAtLoadInOneLineNamingTheFile(string fixture, string file)
    {
        string folder = TestPaths.CopyOfFixtureModel(fixture);
        string path = Path.Combine(folder, file);
        using (var stream = new FileStream(path, FileMode.Open)) stream.SetLength(stream.Length - 1000); // the header intact
        var e = Assert.Throws<ModelFormatException>(() => ArchitectureRegistry.Load(folder)); // at load, not at first use
        Assert.StartsWith(path + ":", e.Message);
        Assert.Contains("cut short", e.Message);
        Assert.DoesNotContain("\n", e.Message);
        if (OpenFiles.Visible) Assert.Equal(0, OpenFiles.Count(path));
    }
}
