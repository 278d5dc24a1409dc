using System.Diagnostics;
using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;

// Encoder throughput: tokens/s of the transformer forward pass on fixed synthetic ids, for each model folder given.
// Usage: dotnet run -c Release --project bench/Skald.Bench -- [--gemm openblas|managed] [--packed] [--batch N]
//   [--seconds S] [--seqs 32,128] [--int8] MODEL_DIR...   (--packed: weights read pre-packed, as SentenceEncoder.Encode
//   reads them; --int8: Linear layers in int8, Tape.QuantizeLinear, plus the cosine of its mean-pooled states to float32's;
//   --int8-only: the same with the float32 Linear weights dropped once quantised, Tape.KeepInt8Only, as
//   skald encode --quantize int8 runs, without the float32 pass: run it in its own process for its peak RSS;
//   --packed-only: --packed with each float32 Linear weight's values dropped once packed, Tape.KeepPackedOnly, as
//   SentenceEncoder.KeepPackedOnly and skald encode run: the same bits as --packed, one copy of the weights;
//   --packed-attention: attention through the per-head packed GEMMs instead of Tape.DirectAttention, which
//   SentenceEncoder.Encode's tape turns on; engine name +gemm-attn; --bf16: Linear layers in bfloat16, Tape.Bf16Linear,
//   as skald encode --quantize bf16 runs them (AMX tdpbf16ps or vdpbf16ps; float32 on a CPU without AVX512-BF16, said in bf16_kernel),
//   plus the cosine of its mean-pooled states to float32's; --float32-matmul high: float32 products at "high" precision,
//   Tape.Float32Matmul, as skald encode --float32-matmul high (AMX: two bfloat16 pieces a side, three terms; float32 on
//   other CPUs, said in fp32_high_runs), engine name +fp32high, plus the cosine of its mean-pooled states to highest's;
//   --no-reference: without that cosine's reference pass, which packs the weights at highest first (for the peak RSS of
//   --packed-only --float32-matmul high, whose weights then hold only the two bfloat16 pieces "high" reads: 4 bytes a weight)
// --in-flight N: each timed pass is N batches (the same ids) through SentenceEncoder.Encode's batch loop
//   (Skald.Tensors.InFlightBatches: the first batch's ops split over the threads, then whole batches in flight, one on
//   each thread, each op inline on its thread); engine name +inflight. With --texts, every batch of the file through
//   that loop (N ignored). The comparison with ORT's one session.Run after another, same batches, same threads.
// Prints wall-clock tokens/s, tokens per CPU second (the process's CPU time: comparable on a loaded machine) and the
// process's peak RSS so far (VmHWM).
// Ids are the same formula as fixtures/models/bench_torch.py and bench_onnx.mjs: 1000 + (b·131 + t·17) mod 20000.
// --texts IDS [--orders order,sorted]: instead of the synthetic ids, real texts (bench/common/TextBatches: one tokenized
//   text per line), batches of --batch in file order and sorted by length, each padded to its longest text; lines
//   count real tokens (real_tokens_per_s) and texts, and say how much of the padded batches was padding.
// --write-ids OUT --from TEXT_FILE --max-len N [--count N] MODEL_DIR: writes that ids file from the first N non-empty
//   lines of TEXT_FILE with the model's tokenizer.json (special tokens added, truncated to N tokens), and exits.
var dirs = new List<string>();
string? textsFile = null, writeIds = null, fromText = null;
string[] orders = ["order", "sorted"];
int maxLen = 128, count = 1024;
bool packed = false, int8 = false, int8Only = false, packedOnly = false, directAttention = true, bf16 = false, high = false, withReference = true;
int batch = 32, inFlight = 0;
double seconds = 5;
int[] seqs = [32, 128];
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--packed") packed = true;
    else if (args[i] == "--packed-only") packed = packedOnly = true;
    else if (args[i] == "--packed-attention") directAttention = false;
    else if (args[i] == "--no-reference") withReference = false;
    else if (args[i] == "--int8") int8 = true;
    else if (args[i] == "--int8-only") int8 = int8Only = true;
    else if (args[i] == "--bf16") bf16 = true;
    else if (args[i] == "--float32-matmul") high = args[++i] switch
    {
        "high" => true,
        "highest" => false,
        var other => throw new ArgumentException($"--float32-matmul takes high or highest, not {other}"),
    };
    else if (args[i] == "--batch") batch = int.Parse(args[++i]);
    else if (args[i] == "--in-flight") inFlight = int.Parse(args[++i]);
    else if (args[i] == "--seconds") seconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
    else if (args[i] == "--seqs") seqs = [.. args[++i].Split(',').Select(int.Parse)];
    else if (args[i] == "--texts") textsFile = args[++i];
    else if (args[i] == "--orders") orders = args[++i].Split(',');
    else if (args[i] == "--write-ids") writeIds = args[++i];
    else if (args[i] == "--from") fromText = args[++i];
    else if (args[i] == "--max-len") maxLen = int.Parse(args[++i]);
    else if (args[i] == "--count") count = int.Parse(args[++i]);
    else if (args[i] == "--gemm")
    {
        Blas.Backend = args[++i] switch
        {
            "openblas" => GemmBackends.TryCreateOpenBlas() ?? throw new InvalidOperationException("OpenBLAS not found"),
            "managed" => new ManagedGemm(),
            var other => throw new ArgumentException($"unknown backend {other}"),
        };
    }
    else
    {
        dirs.Add(args[i]);
    }
}
if (writeIds is not null)
{
    if (fromText is null || dirs.Count != 1) throw new ArgumentException("--write-ids OUT needs --from TEXT_FILE and one MODEL_DIR");
    var tokenizer = Skald.Tokenizers.Tokenizer.FromFile(Path.Combine(dirs[0], "tokenizer.json"));
    var lines = File.ReadLines(fromText).Where(l => l.Trim().Length > 0).Take(count)
        .Select(l => string.Join(' ', tokenizer.Encode(l.Trim(), true, maxLen).Ids));
    File.WriteAllLines(writeIds + ".tmp", lines);
    File.Move(writeIds + ".tmp", writeIds, overwrite: true);
    return;
}
var results = new List<object>();
foreach (var dir in dirs)
{
    if (textsFile is not null)
    {
        TextRuns(dir, textsFile);
        continue;
    }
    var encoder = ArchitectureRegistry.Load(dir);
    var tape = new Tape(recording: false) { PackWeights = packed, QuantizeLinear = int8, KeepInt8Only = int8Only, KeepPackedOnly = packedOnly, DirectAttention = directAttention, Bf16Linear = bf16,
        Float32Matmul = high ? Skald.Tensors.Float32MatmulPrecision.High : Skald.Tensors.Float32MatmulPrecision.Highest,
        HoldWeightPieces = Skald.Models.SentenceEncoder.SpendsMemoryOnSpeed(encoder.Parameters) }; // as SentenceEncoder sets it
    var loop = new Skald.Tensors.InFlightBatches(tape);
    var gate = new Skald.Tensors.InferenceGate();
    int batchesPerPass = Math.Max(1, inFlight);
    foreach (int seq in seqs)
    {
        var tokens = Skald.Bench.Common.SyntheticBatch.Create(batch, seq);
        void Forward()
        {
            if (inFlight > 0)
            {
                loop.Run(inFlight, true, gate, default, (t, _) =>
                {
                    t.Reset();
                    encoder.Forward(t, tokens);
                }, null);
                return;
            }
            tape.Reset();
            encoder.Forward(tape, tokens);
        }
        double minCosine = double.NaN;
        if (((int8 && !int8Only) || bf16 || high) && withReference) // (--int8-only: no float32 pass, so the peak RSS is the int8 model's; its embeddings are --int8's bit for bit)
        {
            var reference = new Tape(recording: false) { PackWeights = true };
            if (high) // highest on the same settings otherwise (the pieces the timed passes read are packed here first)
            {
                Skald.Tensors.InFlightBatches.CopySettings(tape, reference);
                reference.Float32Matmul = Skald.Tensors.Float32MatmulPrecision.Highest;
            }
            var f32 = encoder.Forward(reference, tokens).Span.ToArray();
            var q8 = encoder.Forward(tape, tokens).Span.ToArray(); // [B·T, C]
            minCosine = Enumerable.Range(0, batch).Min(b => MeanPooledCosine(f32, q8, b, seq, encoder.HiddenSize));
        }
        Forward(); // warm-up (--int8-only: the float32 Linear weights are dropped here)
        if (int8Only || packedOnly) GC.Collect();
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        int iterations = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds || iterations < (inFlight > 0 ? 1 : 3)) // (in flight: a pass is N batches)
        {
            Forward();
            iterations++;
        }
        iterations *= batchesPerPass; // batches run
        double tokensPerSecond = (double)iterations * batch * seq / sw.Elapsed.TotalSeconds;
        process.Refresh();
        double cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        results.Add(new
        {
            engine = "skald-" + Blas.Backend.Name + (packedOnly ? "+pkonly" : packed ? "+pk" : "") + (directAttention ? "" : "+gemm-attn") + (int8Only ? "+int8only" : int8 ? "+int8" : "") + (bf16 ? "+bf16" : "") + (high ? "+fp32high" : "") + (inFlight > 0 ? "+inflight" : ""), model = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)),
            hidden = encoder.HiddenSize, batch, seq, tokens_per_s = Math.Round(tokensPerSecond),
            min_cosine_vs_f32 = double.IsNaN(minCosine) ? (double?)null : Math.Round(minCosine, high ? 7 : 5),
            int8_kernel = int8 ? Skald.Tensors.Quantization.Int8Gemm.Best?.ToString() ?? "none (float32)" : null,
            bf16_kernel = bf16 ? Skald.Tensors.Quantization.Bf16Gemm.KernelName ?? "none (float32)" : null,
            fp32_high_runs = high ? Skald.Tensors.Float32Matmul.HighRuns : (bool?)null,
            batches_in_flight = inFlight > 0 ? inFlight : (int?)null, extra_tapes = inFlight > 0 ? loop.ExtraTapes : (int?)null,
            arena_mb = Math.Round(loop.ReservedBytes / 1048576.0, 1), gc_fragmented_mb = Math.Round(GC.GetGCMemoryInfo().FragmentedBytes / 1048576.0, 1),
            tokens_per_cpu_s = Math.Round((double)iterations * batch * seq / cpu),
            weights_mb = Math.Round(encoder.Parameters.Sum(p => p.Bytes) / 1048576.0, 1),
            peak_rss_mb = PeakRssMb(),
            // where the memory is at the end of the timed passes: anonymous pages (heap, arena, packed weights), file
            // pages mapped (the runtime's own libraries; the checkpoint is read, not kept mapped), and the GC's share
            rss_anon_mb = StatusMb("RssAnon:"), rss_file_mb = StatusMb("RssFile:"),
            gc_heap_mb = Math.Round(GC.GetGCMemoryInfo().HeapSizeBytes / 1048576.0, 1),
            gc_committed_mb = Math.Round(GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0, 1),
        });
        Console.WriteLine(JsonSerializer.Serialize(results[^1]));
    }
}

// Real texts (--texts): every batch of the file once per pass, for each order, on the same tape settings.
void TextRuns(string dir, string file)
{
    var encoder = ArchitectureRegistry.Load(dir);
    if (encoder is IDecoder decoder) decoder.AttentionMode = AttentionMode.Causal; // as bench/ort's decoder graph
    var tape = new Tape(recording: false) { PackWeights = packed, KeepPackedOnly = packedOnly, DirectAttention = directAttention,
        Float32Matmul = high ? Skald.Tensors.Float32MatmulPrecision.High : Skald.Tensors.Float32MatmulPrecision.Highest,
        HoldWeightPieces = Skald.Models.SentenceEncoder.SpendsMemoryOnSpeed(encoder.Parameters) };
    var loop = new Skald.Tensors.InFlightBatches(tape);
    var gate = new Skald.Tensors.InferenceGate();
    var texts = Skald.Bench.Common.TextBatches.ReadOrExit(file);
    foreach (var order in orders)
    {
        var batches = Skald.Bench.Common.TextBatches.Make(texts, batch, order)
            .Select(b => new TokenBatch(b.Ids, b.Mask, new int[b.Ids.Length], b.Size, b.Seq)).ToList();
        long real = batches.Sum(b => (long)b.Mask.Count(m => m != 0)), padded = batches.Sum(b => (long)b.Count);
        void Pass()
        {
            if (inFlight > 0)
            {
                loop.Run(batches.Count, true, gate, default, (t, i) =>
                {
                    t.Reset();
                    encoder.Forward(t, batches[i]);
                }, null);
                return;
            }
            foreach (var b in batches)
            {
                tape.Reset();
                encoder.Forward(tape, b);
            }
        }
        var (passes, wall, cpu) = Skald.Bench.Common.TextBatches.Time(Pass, seconds, packedOnly ? () => GC.Collect() : null);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            engine = "skald-" + Blas.Backend.Name + (packedOnly ? "+pkonly" : packed ? "+pk" : "") + (directAttention ? "" : "+gemm-attn") + (high ? "+fp32high" : "") + (inFlight > 0 ? "+inflight" : ""),
            model = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)), hidden = encoder.HiddenSize,
            texts = Path.GetFileName(file), order, batch, seq = texts.Max(t => t.Length), text_count = texts.Count,
            padding = Math.Round(1 - (double)real / padded, 3),
            texts_per_s = Math.Round((double)passes * texts.Count / wall, 1),
            real_tokens_per_s = Math.Round(passes * real / wall),
            real_tokens_per_cpu_s = Math.Round(passes * real / cpu),
            peak_rss_mb = PeakRssMb(),
        }));
    }
}

// VmHWM of /proc/self/status in MB (-1 where there is none).
static double PeakRssMb() => StatusMb("VmHWM:");

// A kB field of /proc/self/status in MB (-1 where there is none).
static double StatusMb(string field)
{
    if (!File.Exists("/proc/self/status")) return -1;
    foreach (var line in File.ReadLines("/proc/self/status"))
    {
        if (line.StartsWith(field, StringComparison.Ordinal))
            return Math.Round(long.Parse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) / 1024.0, 1);
    }
    return -1;
}

// Cosine of sequence b's mean-pooled hidden states in two [B·T, C] outputs.
static double MeanPooledCosine(float[] x, float[] y, int b, int seq, int c)
{
    var (mx, my) = (new double[c], new double[c]);
    for (int t = 0; t < seq; t++)
    {
        for (int i = 0; i < c; i++)
        {
            mx[i] += x[(b * seq + t) * c + i];
            my[i] += y[(b * seq + t) * c + i];
        }
    }
    double dot = 0, nx = 0, ny = 0;
    for (int i = 0; i < c; i++)
    {
        dot += mx[i] * my[i];
        nx += mx[i] * mx[i];
        ny += my[i] * my[i];
    }
    return dot / Math.Sqrt(nx * ny);
}
