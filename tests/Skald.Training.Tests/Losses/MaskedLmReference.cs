using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// Shared checks of a masked-LM head against fixtures/training/*_mlm.json (fixtures/models/make_mlm.py: the published
/// class's head and loss in PyTorch for a fixed masking; ModernBERT's logits: fixtures/models/make_modernbert.py), against
/// central differences, and through `skald train`.
/// </summary>
internal static class MaskedLmReference
{
    internal static readonly string[] Texts =
    [
        "Toget til Bergen går klokka ni.", "Kor mykje kostar ein billett?", "Butikken åbner klokken otte.",
        "Var ligger närmaste apotek?", "Legekontoret er stengt i dag, men apoteket er ope.",
    ];

    /// <summary>
    /// Logits of two rows, and unless <paramref name="logitsOnly"/> the loss and every parameter's sampled gradient,
    /// within 1e-5 of PyTorch's in <paramref name="reference"/> (a path under fixtures/; of a .jsonl, its first line).
    /// </summary>
    public static void MatchesPyTorch(TrainableEncoder model, MaskedLanguageModelingLoss mlm, string reference, Func<double, double> bound,
        bool logitsOnly = false)
    {
        string path = Path.Combine(Skald.Tests.Repository.Root, "fixtures", reference);
        using var doc = JsonDocument.Parse(path.EndsWith(".jsonl", StringComparison.Ordinal) ? File.ReadLines(path).First() : File.ReadAllText(path));
        var r = doc.RootElement;
        int[] ids = [.. r.GetProperty("input_ids").EnumerateArray().SelectMany(x => x.EnumerateArray().Select(y => y.GetInt32()))];
        int[] mask = [.. r.GetProperty("attention_mask").EnumerateArray().SelectMany(x => x.EnumerateArray().Select(y => y.GetInt32()))];
        int b = r.GetProperty("input_ids").GetArrayLength(), t = ids.Length / b, c = model.Config.HiddenSize, v = model.Config.VocabSize;
        var tokens = new TokenBatch(ids, mask, new int[ids.Length], b, t);

        // Logits of two predicting rows (from first_logit on, when the reference leaves the excluded ids out).
        int[] rows = [.. r.GetProperty("logit_rows").EnumerateArray().Select(x => x.GetInt32())];
        int first = r.TryGetProperty("first_logit", out var f) ? f.GetInt32() : 0;
        var expected = r.GetProperty("logits").EnumerateArray().Select(x => x.EnumerateArray().Select(y => y.GetDouble()).ToArray()).ToArray();
        var tape = new Tape(recording: false);
        var h = mlm.Head.Transform(tape, Ops.SelectRows(tape, model.Model.Transformer.Forward(tape, tokens), rows)).Span;
        var w = mlm.Head.Decoder.Data.Span;
        var bias = mlm.Head.DecoderBias!.Data.Span;
        for (int i = 0; i < rows.Length; i++)
        {
            double tolerance = 1e-5 * Math.Max(1, expected[i].Max(Math.Abs));
            for (int k = first; k < v; k++)
            {
                double z = bias[k];
                for (int j = 0; j < c; j++) z += (double)h[i * c + j] * w[k * c + j];
                z = bound(z);
                Assert.True(Math.Abs(z - expected[i][k - first]) <= tolerance, $"row {rows[i]} logit {k}: PyTorch {expected[i][k - first]}, Skald {z}");
            }
        }
        if (logitsOnly) return;

        // Loss and gradients.
        int[] labels = [.. r.GetProperty("labels").EnumerateArray().SelectMany(x => x.EnumerateArray().Select(y => y.GetInt32()))];
        model.ZeroGradients();
        foreach (var p in mlm.Parameters) p.Grad.Span.Clear();
        var targets = labels.Select(x => x < 0 ? -1 : x).ToArray();
        float loss = mlm.Loss(model, tokens, targets, backward: true);
        double expectedLoss = r.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(loss - expectedLoss) <= 1e-5 * Math.Max(1, expectedLoss), $"loss {loss}, PyTorch {expectedLoss}");
        var byName = model.Parameters.Concat(mlm.Parameters).ToDictionary(p => p.Name);
        int substantial = 0;
        foreach (var g in r.GetProperty("gradients").EnumerateObject())
        {
            Assert.True(byName.ContainsKey(g.Name), $"no parameter {g.Name}");
            var actual = byName[g.Name].Grad.Span;
            int[] index = [.. g.Value.GetProperty("index").EnumerateArray().Select(x => x.GetInt32())];
            double[] value = [.. g.Value.GetProperty("value").EnumerateArray().Select(x => x.GetDouble())];
            for (int i = 0; i < index.Length; i++)
                Assert.True(Math.Abs(value[i] - actual[index[i]]) <= 1e-5 * Math.Max(1, Math.Abs(value[i])),
                    $"{g.Name}[{index[i]}]: PyTorch {value[i]}, Skald {actual[index[i]]}");
            double ss = 0;
            foreach (float x in actual) ss += (double)x * x;
            double expectedSs = g.Value.GetProperty("sum_squares").GetDouble();
            Assert.True(Math.Abs(Math.Sqrt(ss) - Math.Sqrt(expectedSs)) <= 1e-5 * Math.Max(1, Math.Sqrt(expectedSs)),
                $"{g.Name}: |grad| {Math.Sqrt(ss)}, PyTorch {Math.Sqrt(expectedSs)}");
            if (expectedSs > 1e-8) substantial++;
        }
        Assert.True(substantial >= 10, "too few parameters with a gradient");
    }

    /// <summary>The loss of random maskings of <see cref="Texts"/> against central differences at a few parameters.</summary>
    public static void MatchesFiniteDifferences(TrainableEncoder encoder, MaskedLanguageModelingLoss mlm, (string Name, int Index)[] checks)
    {
        var state = encoder.Random.SaveState();
        float Loss(bool backward)
        {
            encoder.Random.RestoreState(state); // the same masks every time
            return mlm.Loss(encoder, Texts, backward);
        }

        encoder.ZeroGradients();
        foreach (var p in mlm.Parameters) p.Grad.Span.Clear();
        Loss(backward: true);
        var byName = encoder.Parameters.Concat(mlm.Parameters).ToDictionary(p => p.Name);
        int substantial = 0;
        foreach (var (name, index) in checks)
        {
            var p = byName[name];
            float saved = p.Data.Span[index], step = 1e-2f;
            p.Data.Span[index] = saved + step;
            double up = Loss(false);
            p.Data.Span[index] = saved - step;
            double down = Loss(false);
            p.Data.Span[index] = saved;
            double numeric = (up - down) / (2 * step), analytic = p.Grad.Span[index];
            if (Math.Abs(numeric) > 1e-3) substantial++;
            Assert.True(Math.Abs(numeric - analytic) <= 0.05 * Math.Abs(numeric) + 2e-4, $"{name}[{index}]: analytic {analytic:E3}, numeric {numeric:E3}");
        }
        Assert.True(substantial >= checks.Length / 2, "the checked gradients are too small to tell anything");
    }

    /// <summary>`skald train` with loss mlm on <paramref name="model"/> for <paramref name="steps"/> steps; the saved folder.</summary>
    public static string Train(string model, string dir, string name, int steps)
    {
        string corpus = Path.Combine(dir, "corpus.txt");
        if (!File.Exists(corpus))
            File.WriteAllLines(corpus, File.ReadLines(Path.Combine(Skald.Tests.Repository.Root, "samples", "data", "corpus.txt")).Take(64));
        var config = ConfigLoader.Parse($"""
            model:
              path: {model}
              dropout: 0.1
            data:
              train: {corpus}
            training:
              batch_size: 8
              learning_rate: 1.0e-3
              max_steps: {steps}
              no_duplicates: false
            loss:
              type: mlm
              mask_probability: 0.3
            output:
              dir: {Path.Combine(dir, name)}
              save_steps: 2
              tensorboard: false
            """, "mlm.yaml");
        var result = new SentenceTrainer(TrainingRun.Build(config)).Run();
        Assert.Equal(steps, result.Steps);
        return result.ModelPath;
    }

    /// <summary>config.json's architectures[0] in <paramref name="folder"/>.</summary>
    public static string? Architecture(string folder)
    {
        using var cfg = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "config.json")));
        return cfg.RootElement.GetProperty("architectures")[0].GetString();
    }

    /// <summary>The float32 tensors of <paramref name="folder"/>'s model.safetensors.</summary>
    public static Dictionary<string, float[]> Tensors(string folder)
    {
        using var st = SafeTensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        return st.Tensors.Where(kv => kv.Value.DType == SafeTensorsDType.F32).ToDictionary(kv => kv.Key, kv => st.ReadFloat32(kv.Key));
    }

    /// <summary>
    /// A copy of <paramref name="folder"/> in <paramref name="dir"/> whose float32 weights pass through
    /// <paramref name="change"/> (key, values → new values, or null to leave the key out).
    /// </summary>
    public static string Rewrite(string folder, string dir, Func<string, float[], float[]?> change)
    {
        string copy = Path.Combine(dir, "rewritten");
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.EnumerateFiles(folder).Where(f => Path.GetFileName(f) != "model.safetensors"))
            File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        foreach (var sub in Directory.EnumerateDirectories(folder)) // module folders (1_Pooling) of a sentence-transformers folder
            Skald.Tests.TestPaths.CopyFolder(sub, Path.Combine(copy, Path.GetFileName(sub)));
        using var st = SafeTensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        var tensors = new List<TensorToWrite>();
        foreach (var (key, info) in st.Tensors.Where(kv => kv.Value.DType == SafeTensorsDType.F32))
        {
            if (change(key, st.ReadFloat32(key)) is { } values) tensors.Add(new TensorToWrite(key, [.. info.Shape], values));
        }
        SafeTensorsWriter.Write(Path.Combine(copy, "model.safetensors"), tensors);
        return copy;
    }

    /// <summary>A fresh temporary folder.</summary>
    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "skald-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
