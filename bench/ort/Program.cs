using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Skald.Bench.Common;
using Microsoft.ML.OnnxRuntime.Tensors;

// ONNX Runtime in C# (Microsoft.ML.OnnxRuntime), the peer of bench/Skald.Bench and bench/decoder: tokens/s of an
// exported model on the same synthetic ids, batch and thread count.
// Usage: dotnet run -c Release --project bench/ort -- [--threads 2] [--batch 32] [--seconds 5] [--seqs 32,128]
//        [--onnx model.int8.onnx] [--decoder] [--optimized-graph FILE] [--spin] MODEL_DIR...
// BERT (default): model.onnx from fixtures/models/export_bench_models.py; ids 1000 + (b·131 + t·17) mod 20000, mask all
// ones, token_type_ids zero where the graph has them. --onnx names the graph file in each folder (default model.onnx);
// for any other file (the int8 graph written by fixtures/models/quantize_onnx.py) the line adds min_cosine_vs_f32:
// the smallest cosine over the first batch between its mean-pooled states and model.onnx's.
// --decoder: the Qwen2.5-0.5B-shaped decoder of fixtures/models/export_bench_decoder_onnx.py (inputs input_ids and
// attention_mask, causal, last_hidden_state); defaults batch 8, seqs 128 (bench/decoder's shape) and bench/decoder's ids
// (splitmix64 seed 1 mod vocab_size of config.json, DecoderIds). Where the folder has model.onnx.reference.bin
// (PyTorch's states on the 8 × 128 ids) the line adds max_abs_diff_vs_pytorch and min_cosine_vs_pytorch (mean-pooled);
// with --onnx (model.int8.onnx of quantize_onnx.py) no second session is loaded (min_cosine_vs_f32 is left out), so
// that the peak RSS is the graph's own.
// --optimized-graph FILE writes the graph as ORT optimised it (to see which fusions ran; weights in FILE.data).
// Session: intra-op threads = --threads, inter-op 1, sequential, all graph optimisations, no spinning (so the CPU
// time printed next to the wall time is work, not waiting); --spin keeps ORT's default, intra-op threads spinning
// between and at the end of parallel sections (engine name "+spin"), which is ORT's best wall time. Every line has tokens_per_s (wall), tokens_per_cpu_s
// (process CPU time, all threads) and peak_rss_mb (VmHWM: the whole process so far, so a later line's peak includes
// the earlier models' sessions as far as they were resident at once).
var dirs = new List<string>();
int threads = 2;
int? batchOption = null;
double seconds = 5;
int[]? seqOption = null;
string file = "model.onnx";
bool decoder = false;
string? optimizedGraph = null;
bool spin = false;
string? textsFile = null;
string[] orders = ["order", "sorted"];
try
{
    for (int i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--threads": threads = int.Parse(args[++i]); break;
            case "--batch": batchOption = int.Parse(args[++i]); break;
            case "--seconds": seconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
            case "--seqs": seqOption = [.. args[++i].Split(',').Select(int.Parse)]; break;
            case "--onnx": file = args[++i]; break;
            case "--decoder": decoder = true; break;
            case "--optimized-graph": optimizedGraph = args[++i]; break;
            case "--spin": spin = true; break;
            case "--texts": textsFile = args[++i]; break;
            case "--orders": orders = args[++i].Split(','); break;
            default:
                if (args[i].StartsWith("--", StringComparison.Ordinal)) throw new FormatException($"unknown option {args[i]}");
                dirs.Add(args[i]);
                break;
        }
    }
}
catch (Exception e) when (e is FormatException or IndexOutOfRangeException or OverflowException)
{
    Console.Error.WriteLine($"bench/ort: bad arguments ({e.Message}); usage: [--threads N] [--batch N] [--seconds S] [--seqs 32,128] [--onnx FILE] [--decoder] [--optimized-graph FILE] [--spin] MODEL_DIR...");
    return 2;
}
int batch = batchOption ?? (decoder ? 8 : 32);
int[] seqs = seqOption ?? (decoder ? [128] : [32, 128]);
if (dirs.Count == 0)
{
    Console.Error.WriteLine("bench/ort: no MODEL_DIR given");
    return 2;
}
foreach (var dir in dirs)
{
    string path = Path.Combine(dir, file);
    if (!File.Exists(path))
    {
        Console.Error.WriteLine(decoder
            ? $"bench/ort: {path}: not found (write it with /usr/bin/python3 fixtures/models/export_bench_decoder_onnx.py {dir})"
            : $"bench/ort: {path}: not found (write it with /usr/bin/python3 fixtures/models/export_bench_models.py)");
        return 1;
    }
    int vocab = 0;
    if (decoder && !DecoderIds.TryVocab(dir, out vocab, out string? error))
    {
        Console.Error.WriteLine($"bench/ort: {error}");
        return 1;
    }
    using var options = new SessionOptions
    {
        IntraOpNumThreads = threads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
    };
    options.AddSessionConfigEntry("session.intra_op.allow_spinning", spin ? "1" : "0");
    if (optimizedGraph is not null)
    {
        // The graph after ORT's optimisations (which fusions ran), weights in FILE.data beside it.
        options.OptimizedModelFilePath = optimizedGraph;
        options.AddSessionConfigEntry("session.optimized_model_external_initializers_file_name", Path.GetFileName(optimizedGraph) + ".data");
        options.AddSessionConfigEntry("session.optimized_model_external_initializers_min_size_in_bytes", "1024");
    }
    var load = Stopwatch.StartNew();
    InferenceSession session;
    InferenceSession? reference;
    (double MaxAbsDiff, double MinCosine)? vsPyTorch;
    double loadS;
    try
    {
        session = new InferenceSession(path, options);
        reference = file == "model.onnx" || decoder ? null : new InferenceSession(Path.Combine(dir, "model.onnx"), options);
        loadS = load.Elapsed.TotalSeconds;
        vsPyTorch = decoder ? DecoderIds.VsPyTorch(session, dir, vocab) : null;
    }
    catch (Exception e) when (e is OnnxRuntimeException or InvalidDataException or IOException)
    {
        Console.Error.WriteLine($"bench/ort: {path}: {e.Message.ReplaceLineEndings(" ")}");
        return 1;
    }
    using var sessionScope = session;
    using var referenceScope = reference;
    bool hasTypes = session.InputMetadata.ContainsKey("token_type_ids");
    if (textsFile is not null)
    {
        foreach (var order in orders) TextRun(session, hasTypes, dir, textsFile, order, batch, seconds, threads, spin);
        continue;
    }
    foreach (int seq in seqs)
    {
        var ids = decoder ? DecoderIds.Tensor(batch, seq, vocab) : new DenseTensor<long>([batch, seq]);
        var mask = new DenseTensor<long>([batch, seq]);
        var types = new DenseTensor<long>([batch, seq]);
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < seq; t++)
            {
                if (!decoder) ids[b, t] = 1000 + (b * 131 + t * 17) % 20000;
                mask[b, t] = 1;
            }
        }
        var feeds = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", ids),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
        };
        if (hasTypes) feeds.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", types));
        void Run()
        {
            using var outputs = session.Run(feeds);
        }
        double? minCosine = reference is null ? null : MinCosine(session, reference, feeds, batch, seq);
        Run();
        if (!decoder) Run(); // warm-up (the decoder's batches take seconds: one is enough)
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        int iterations = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds || iterations < 3)
        {
            Run();
            iterations++;
        }
        double wall = sw.Elapsed.TotalSeconds;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            engine = "onnxruntime-csharp " + typeof(InferenceSession).Assembly.GetName().Version?.ToString(3) + (spin ? "+spin" : ""),
            onnx_file = file,
            model = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)),
            attention = decoder ? "causal" : null,
            threads, batch, seq, iterations, seconds = Math.Round(wall, 3),
            s_per_batch = Math.Round(wall / iterations, 3),
            cpu_s = Math.Round(cpu / iterations, 3),
            tokens_per_s = Math.Round((double)iterations * batch * seq / wall),
            tokens_per_cpu_s = Math.Round((double)iterations * batch * seq / cpu),
            session_load_s = Math.Round(loadS, 2),
            peak_rss_mb = DecoderIds.StatusMb("VmHWM:"),
            rss_mb = DecoderIds.StatusMb("VmRSS:"),
            min_cosine_vs_f32 = minCosine is { } c ? Math.Round(c, 5) : (double?)null,
            max_abs_diff_vs_pytorch = vsPyTorch?.MaxAbsDiff,
            min_cosine_vs_pytorch = vsPyTorch?.MinCosine,
        }, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }));
    }
}
return 0;

// Real texts (--texts): every batch of the file (bench/common/TextBatches, the same batches Skald.Bench runs) once per
// pass; the line counts texts and real tokens.
static void TextRun(InferenceSession session, bool hasTypes, string dir, string file, string order, int batch,
    double seconds, int threads, bool spin)
{
    var texts = Skald.Bench.Common.TextBatches.ReadOrExit(file);
    var batches = Skald.Bench.Common.TextBatches.Make(texts, batch, order);
    var feeds = batches.Select(b =>
    {
        var ids = new DenseTensor<long>([b.Size, b.Seq]);
        var mask = new DenseTensor<long>([b.Size, b.Seq]);
        for (int i = 0; i < b.Ids.Length; i++)
        {
            ids.Buffer.Span[i] = b.Ids[i];
            mask.Buffer.Span[i] = b.Mask[i];
        }
        var f = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("input_ids", ids),
            NamedOnnxValue.CreateFromTensor("attention_mask", mask),
        };
        if (hasTypes) f.Add(NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>([b.Size, b.Seq])));
        return f;
    }).ToList();
    long real = batches.Sum(b => (long)b.RealTokens), padded = batches.Sum(b => (long)b.Ids.Length);
    void Pass()
    {
        foreach (var f in feeds)
        {
            using var outputs = session.Run(f);
        }
    }
    var (passes, wall, cpu) = Skald.Bench.Common.TextBatches.Time(Pass, seconds);
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        engine = "onnxruntime-csharp " + typeof(InferenceSession).Assembly.GetName().Version?.ToString(3) + (spin ? "+spin" : ""),
        model = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)),
        texts = Path.GetFileName(file), order, threads, batch, seq = texts.Max(t => t.Length), text_count = texts.Count,
        padding = Math.Round(1 - (double)real / padded, 3),
        texts_per_s = Math.Round((double)passes * texts.Count / wall, 1),
        real_tokens_per_s = Math.Round(passes * real / wall),
        real_tokens_per_cpu_s = Math.Round(passes * real / cpu),
        peak_rss_mb = DecoderIds.StatusMb("VmHWM:"),
    }));
}

// The smallest cosine, over the batch, between the two sessions' mean-pooled last hidden states (mask all ones).
static double MinCosine(InferenceSession a, InferenceSession b, List<NamedOnnxValue> feeds, int batch, int seq)
{
    using var ra = a.Run(feeds);
    using var rb = b.Run(feeds);
    var ya = ra.First().AsTensor<float>();
    return PooledCosine.Min(ya.ToArray(), rb.First().AsTensor<float>().ToArray(), batch, ya.Dimensions[2]);
}
