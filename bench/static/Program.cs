// Static embedding benchmark: encode throughput of a static model against the transformer it is distilled from, on the
// same texts (samples/data/corpus.txt), plus distillation time and a from-scratch training run on the sample pairs.
// Usage: dotnet run -c Release --project bench/static -- [--teacher DIR] [--dims 256] [--epochs 10] [--lr 0.2]
//        [--batch 256] [--vocab 8000] [--sweep]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Skald.Models;
using Skald.Tokenizers.Training;
using Skald.Training.Data;
using Skald.Tokenizers;
using Skald.Training.Config;
using Skald.Training.Output;
using Skald.Training.Static;
using Skald.Training.Trainer;

var inv = CultureInfo.InvariantCulture;
string root = FindRoot();
var opts = ParseArgs(args);
string teacherDir = opts.GetValueOrDefault("teacher") ?? (Directory.Exists(Path.Combine(root, "fixtures/models/.bench/bert-384"))
    ? Path.Combine(root, "fixtures/models/.bench/bert-384") : Path.Combine(root, "fixtures/models/bert-cased-mean"));
int dims = int.Parse(opts.GetValueOrDefault("dims") ?? "256", inv);
int epochs = int.Parse(opts.GetValueOrDefault("epochs") ?? "10", inv);
int batch = int.Parse(opts.GetValueOrDefault("batch") ?? "256", inv);
int vocab = int.Parse(opts.GetValueOrDefault("vocab") ?? "8000", inv);
float lr = float.Parse(opts.GetValueOrDefault("lr") ?? "0.2", inv);
string data = Path.Combine(root, "samples", "data");
var texts = File.ReadAllLines(Path.Combine(data, "corpus.txt")).Where(l => l.Length > 0).ToArray();
string work = Path.Combine(Path.GetTempPath(), "skald-bench-static-" + Environment.ProcessId);
Directory.CreateDirectory(work);
Console.WriteLine($"cores {Environment.ProcessorCount}, texts {texts.Length} (corpus.txt), teacher {Path.GetRelativePath(root, teacherDir)}");

if (!opts.ContainsKey("sweep"))
{
    // 1. Distil the teacher into a static model.
    var teacher = SentenceEncoder.Load(teacherDir);
    var clock = Stopwatch.StartNew();
    var distilled = StaticDistiller.Distill(teacher, dims);
    Console.WriteLine($"distil: {distilled.VocabSize} tokens × {teacher.Transformer.HiddenSize} → {distilled.Dimension} dims in {clock.Elapsed.TotalSeconds:F2} s");
    string staticDir = Path.Combine(work, "distilled");
    distilled.Save(staticDir);
    var staticEncoder = SentenceEncoder.Load(staticDir);

    // 2. Throughput on the same texts, one timed run each after a warm-up on 200 texts.
    double Rate(Func<IReadOnlyList<string>, float[][]> encode)
    {
        encode(texts[..200]);
        var sw = Stopwatch.StartNew();
        var e = encode(texts);
        if (e.Length != texts.Length) throw new InvalidOperationException("wrong count");
        return texts.Length / sw.Elapsed.TotalSeconds;
    }
    double tr = Rate(t => teacher.Encode(t, new EncodeOptions { BatchSize = 32 }));
    double st = Rate(t => staticEncoder.Encode(t, new EncodeOptions { BatchSize = 32 }));
    Console.WriteLine($"transformer ({teacher.Transformer.Config.NumLayers} layers, {teacher.Transformer.HiddenSize} wide): {tr,12:F0} sentences/s");
    Console.WriteLine($"static via SentenceEncoder ({distilled.Dimension} dims):   {st,12:F0} sentences/s  ({st / tr:F0}×)");
    Report("distilled", staticDir);
}

// 3. Train from scratch: a WordPiece tokenizer trained on the sample texts, a random table, MNRL + Matryoshka.
var pairs = DatasetReader.Read(Path.Combine(data, "train-pairs.jsonl")).SelectColumns(["anchor", "positive"]);
var tokJson = TokenizerTrainer.TrainJson(texts.Concat(pairs.Rows.SelectMany(r => r)),
    new TokenizerTrainingOptions { Kind = TokenizerKind.WordPiece, VocabSize = vocab, Lowercase = true });
float[] rates = opts.ContainsKey("sweep") ? [0.01f, 0.05f, 0.1f, 0.2f, 0.5f] : [lr];
string tokenizerPath = Path.Combine(work, "tokenizer.json");
File.WriteAllText(tokenizerPath, tokJson);
string untrained = StaticModelWriter.CreateRandom(Path.Combine(work, "untrained"), tokenizerPath, dims, normalize: true, seed: 42);
foreach (float rate in rates)
{
    if (rate == rates[0]) Report($"random init ({Tokenizer.FromJson(tokJson).VocabSize} tokens)", untrained);
    int[] mrl = [.. new[] { 256, 128, 64, 32 }.Where(d => d <= dims)];
    // The one trainer, as `skald static train` runs it.
    var config = new TrainingConfig
    {
        Model = new ModelSection(untrained, Dropout: 0) { Type = "static" },
        Data = new DataSection([]),
        Training = new TrainingSection { BatchSize = batch, Epochs = epochs, LearningRate = rate, WarmupRatio = 0.1f, WeightDecay = 0, Seed = 42 },
        Loss = new LossSection { Type = "matryoshka", MatryoshkaDims = mrl },
        Evaluation = new EvaluationSection(),
        Output = new OutputSection { Dir = Path.Combine(work, $"run-{rate}"), SaveSteps = 0, Tensorboard = false },
    };
    var clock = Stopwatch.StartNew();
    var result = new SentenceTrainer(TrainingRun.Build(config, [pairs], null)).Run();
    var losses = MetricsLog.ReadAll(Path.Combine(config.Output.Dir, "metrics.jsonl")).Select(r => r["loss"]!.Value).ToArray();
    Console.WriteLine($"train lr {rate}: {result.Steps} steps (batch {batch}, {epochs} epochs) in {clock.Elapsed.TotalSeconds:F2} s " +
        $"({result.Steps / clock.Elapsed.TotalSeconds:F1} steps/s), logged loss {losses[0]:F3} → {losses[^1]:F3}");
    Report($"trained lr {rate}", result.ModelPath);
}
Directory.Delete(work, true);

void Report(string name, string folder)
{
    var m = SentenceEncoder.Load(folder);
    var (acc, mrr) = Retrieval(m);
    Console.WriteLine($"  {name}: triplet accuracy {Triplets(m):P1}, retrieval acc@1 {acc:P1}, MRR@10 {mrr:F3}");
}

double Triplets(SentenceEncoder m)
{
    var rows = File.ReadLines(Path.Combine(data, "eval", "triplets.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
    string[] Col(string k) => [.. rows.Select(r => r.GetProperty(k).GetString()!)];
    var (a, p, n) = (m.Encode(Col("anchor")), m.Encode(Col("positive")), m.Encode(Col("negative")));
    return Enumerable.Range(0, rows.Length).Count(i => Cos(a[i], p[i]) > Cos(a[i], n[i])) / (double)rows.Length;
}

(double Acc, double Mrr) Retrieval(SentenceEncoder m)
{
    string dir = Path.Combine(data, "eval", "retrieval");
    static (string Id, string Text)[] Read(string f, bool title) => [.. File.ReadLines(f).Select(l => JsonDocument.Parse(l).RootElement)
        .Select(e => (e.GetProperty("_id").GetString()!, (title && e.TryGetProperty("title", out var t) ? t.GetString() + " " : "") + e.GetProperty("text").GetString()))];
    var queries = Read(Path.Combine(dir, "queries.jsonl"), false);
    var corpus = Read(Path.Combine(dir, "corpus.jsonl"), true);
    var relevant = File.ReadLines(Path.Combine(dir, "qrels", "test.tsv")).Skip(1).Select(l => l.Split('\t'))
        .Where(f => f.Length >= 3 && f[2] != "0").GroupBy(f => f[0]).ToDictionary(g => g.Key, g => g.Select(f => f[1]).ToHashSet());
    var q = m.Encode([.. queries.Select(x => x.Text)]);
    var d = m.Encode([.. corpus.Select(x => x.Text)]);
    double acc = 0, mrr = 0;
    int counted = 0;
    for (int i = 0; i < queries.Length; i++)
    {
        if (!relevant.TryGetValue(queries[i].Id, out var rel)) continue;
        counted++;
        var ranked = Enumerable.Range(0, d.Length).OrderByDescending(j => Cos(q[i], d[j])).Take(10).ToArray();
        if (rel.Contains(corpus[ranked[0]].Id)) acc++;
        int hit = Array.FindIndex(ranked, j => rel.Contains(corpus[j].Id));
        if (hit >= 0) mrr += 1.0 / (hit + 1);
    }
    return (acc / counted, mrr / counted);
}

static double Cos(float[] a, float[] b)
{
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < a.Length; i++)
    {
        dot += (double)a[i] * b[i];
        na += (double)a[i] * a[i];
        nb += (double)b[i] * b[i];
    }
    return dot / Math.Sqrt(Math.Max(na * nb, 1e-30));
}

static Dictionary<string, string?> ParseArgs(string[] args)
{
    var d = new Dictionary<string, string?>();
    for (int i = 0; i < args.Length; i++)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument {args[i]}");
        string key = args[i][2..];
        d[key] = key == "sweep" ? "1" : args[++i];
    }
    return d;
}

static string FindRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Skald.slnx"))) dir = dir.Parent;
    dir ??= new DirectoryInfo(Directory.GetCurrentDirectory());
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Skald.slnx"))) dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("run inside the Skald repository");
}
