using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;

// Microsoft.ML.Tokenizers 2.0 throughput on the same texts as bench/tokenizers (MB/s of UTF-8 text through
// EncodeToIds, texts in parallel like Skald's EncodeBatch), with the ids checked against Skald's on every text.
// Only tokenizer.json files it can load as the same tokenizer are measured (WordPiece with BertNormalizer →
// BertTokenizer from a vocab.txt written from the JSON); others print a line with "skipped".
// usage: Skald.TokenizerBench.MlTokenizers TEXTS_FILE SECONDS TOKENIZER_JSON...
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Skald.TokenizerBench.MlTokenizers TEXTS_FILE SECONDS TOKENIZER_JSON...");
    return 2;
}
var texts = File.ReadAllLines(args[0]).Where(l => l.Length > 0).ToArray();
double seconds = double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
long bytes = texts.Sum(t => (long)System.Text.Encoding.UTF8.GetByteCount(t));
foreach (var path in args.Skip(2))
{
    string name = Path.GetFileName(Path.GetDirectoryName(path))!;
    var tk = Load(path, out string? why);
    if (tk is null)
    {
        Console.Error.WriteLine($"ml-tokenizers: {name} skipped ({why})");
        continue;
    }
    var skald = Skald.Tokenizers.Tokenizer.FromFile(path);
    int mismatches = 0;
    string? firstMismatch = null;
    long tokens = 0;
    foreach (var t in texts)
    {
        var ids = tk.EncodeToIds(t);
        tokens += ids.Count;
        if (!ids.SequenceEqual(skald.Encode(t).Ids))
        {
            mismatches++;
            firstMismatch ??= t;
        }
    }
    double one = Measure(1, out double cpuOne), two = Measure(Environment.ProcessorCount, out double cpuAll);
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        engine = "ml-tokenizers", tokenizer = name, threads = Environment.ProcessorCount, lines = texts.Length,
        mb = bytes / 1e6, tokens, id_mismatches = mismatches, first_mismatch = firstMismatch,
        mb_per_s = Math.Round(two, 2), mb_per_s_1t = Math.Round(one, 2),
        cpu_mb_per_s = Math.Round(cpuAll, 2), cpu_mb_per_s_1t = Math.Round(cpuOne, 2),
    }));

    // MB/s of wall time; cpu: MB per second of the process's CPU time.
    double Measure(int threads, out double cpu)
    {
        var opts = new ParallelOptions { MaxDegreeOfParallelism = threads };
        // Results are kept, as Skald's EncodeBatch (and its one-thread loop) keep theirs.
        var kept = new IReadOnlyList<int>[texts.Length];
        void Round() => Parallel.For(0, texts.Length, opts, i => kept[i] = tk.EncodeToIds(texts[i]));
        Round(); // warm-up
        int rounds = 0;
        var proc = Process.GetCurrentProcess();
        var cpu0 = proc.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds || rounds < 2)
        {
            Round();
            rounds++;
        }
        double wall = sw.Elapsed.TotalSeconds;
        proc.Refresh();
        cpu = bytes * rounds / (proc.TotalProcessorTime - cpu0).TotalSeconds / 1e6;
        return bytes * rounds / wall / 1e6;
    }
}
return 0;

static BertTokenizer? Load(string path, out string? why)
{
    var root = JsonNode.Parse(File.ReadAllText(path))!;
    var model = root["model"]!;
    string type = (string?)model["type"] ?? "";
    var norm = root["normalizer"];
    if (type != "WordPiece" || (string?)root["pre_tokenizer"]?["type"] != "BertPreTokenizer" || (string?)norm?["type"] != "BertNormalizer")
    {
        why = $"{type}: no loader for the same tokenizer here";
        return null;
    }
    var vocab = model["vocab"]!.AsObject().Select(kv => (Token: kv.Key, Id: (int)kv.Value!)).OrderBy(x => x.Id).ToList();
    if (vocab.Where((x, i) => x.Id != i).Any())
    {
        why = "vocabulary ids are not 0..n-1";
        return null;
    }
    string vocabFile = Path.Combine(Path.GetTempPath(), $"skald-mltok-{Guid.NewGuid():N}.txt");
    File.WriteAllLines(vocabFile, vocab.Select(x => x.Token));
    bool lower = (bool?)norm["lowercase"] ?? true;
    var options = new BertOptions
    {
        LowerCaseBeforeTokenization = lower,
        RemoveNonSpacingMarks = (bool?)norm["strip_accents"] ?? lower,
        IndividuallyTokenizeCjk = (bool?)norm["handle_chinese_chars"] ?? true,
        UnknownToken = (string?)model["unk_token"] ?? "[UNK]",
        ContinuingSubwordPrefix = (string?)model["continuing_subword_prefix"] ?? "##",
        MaxInputCharsPerWord = (int?)model["max_input_chars_per_word"] ?? 100,
    };
    try
    {
        why = null;
        return BertTokenizer.Create(vocabFile, options);
    }
    finally
    {
        File.Delete(vocabFile);
    }
}
