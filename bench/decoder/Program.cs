// Decoder benchmark (Qwen2.5-0.5B shapes): encode throughput and a LoRA training step; twin of bench_torch_decoder.py.
// Usage: dotnet Skald.Bench.Decoder.dll encode|train MODEL_DIR [--batch 8] [--seq 128] [--warmup 1] [--iters 3] [--threads 2] [--pack 1|0|2 (encode)]
//        [--pack 2 (encode: the packed-only model, SentenceEncoder.KeepPackedOnly, as skald encode runs: pre-packed, one copy of the weights)]
//        [--int8 1 (encode: also with the Linear layers in int8, float32 kept beside them: engine skald-int8)]
//        [--int8 2 (encode: only the inference-only int8 model, as skald encode --quantize int8: engine skald-int8only)]
//        [--bf16 2 (encode: only the inference-only bfloat16 model, as skald encode --quantize bf16: engine skald-bf16only)]
//        [--attention causal|bidirectional|both (encode; default both)] [--direct-attention 1|0 (encode; default 1, as SentenceEncoder.Encode)]
//        [--in-flight N (encode, float32: each timed pass is N batches of the same ids through SentenceEncoder.Encode's
//         batch loop, Skald.Tensors.InFlightBatches, as bench/Skald.Bench --in-flight: the first batch's ops split over
//         the threads, then one whole batch on each thread; engine skald-inflight, tokens/s and per CPU s over all N,
//         s_per_batch and best_s a batch's share of a pass)]
// One JSON line per measurement on stdout, progress on stderr.
using System.Diagnostics;
using System.Text.Json;
using Skald.Models;
using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Gemm;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Optim;

if (args.Length < 2 || args[0] is not ("encode" or "train"))
{
    Console.Error.WriteLine("usage: encode|train MODEL_DIR [--batch 8] [--seq 128] [--warmup 1] [--iters 3] [--threads 2] [--pack 1|0|2] [--int8 0|1|2] [--bf16 0|2] [--direct-attention 1|0] [--attention causal|bidirectional|both] [--in-flight N]");
    return 2;
}
string mode = args[0], folder = args[1];
int batch = 8, seq = 128, warmup = 1, iters = 3, threads = 2, pack = 1, int8 = 0, bf16 = 0, direct = 1, inFlight = 0;
AttentionMode[] attentions = [AttentionMode.Causal, AttentionMode.Bidirectional];
if ((args.Length - 2) % 2 != 0)
{
    Console.Error.WriteLine($"option {args[^1]} has no value");
    return 2;
}
for (int i = 2; i + 1 < args.Length; i += 2)
{
    if (args[i] == "--attention")
    {
        switch (args[i + 1])
        {
            case "causal": attentions = [AttentionMode.Causal]; break;
            case "bidirectional": attentions = [AttentionMode.Bidirectional]; break;
            case "both": break;
            default: Console.Error.WriteLine($"--attention {args[i + 1]}: expected causal, bidirectional or both"); return 2;
        }
        continue;
    }
    if (!int.TryParse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture, out int v))
    {
        Console.Error.WriteLine($"{args[i]} {args[i + 1]}: not an integer");
        return 2;
    }
    switch (args[i])
    {
        case "--batch": batch = v; break;
        case "--seq": seq = v; break;
        case "--warmup": warmup = v; break;
        case "--iters": iters = v; break;
        case "--threads": threads = v; break;
        case "--pack": pack = v; break;
        case "--int8": int8 = v; break;
        case "--bf16": bf16 = v; break;
        case "--direct-attention": direct = v; break;
        case "--in-flight": inFlight = v; break;
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
if (!File.Exists(Path.Combine(folder, "config.json")))
{
    Console.Error.WriteLine($"{Path.Combine(folder, "config.json")}: not found (write the model with fixtures/models/export_bench_decoder.py)");
    return 1;
}
if (inFlight < 0 || (inFlight > 0 && (mode != "encode" || int8 != 0 || bf16 != 0)))
{
    Console.Error.WriteLine($"--in-flight {inFlight}: a count of batches (0: none) for the float32 encode only (not with --int8 or --bf16, not train)");
    return 2;
}
Parallelism.MaxThreads = threads;
try
{
    Bench.DirectAttention = direct != 0;
    if (mode == "encode" && bf16 == 2) Bench.EncodeOnly(folder, batch, seq, warmup, iters, attentions, bf16: true);
    else if (mode == "encode" && int8 == 2) Bench.EncodeOnly(folder, batch, seq, warmup, iters, attentions, bf16: false);
    else if (mode == "encode") Bench.Encode(folder, batch, seq, warmup, iters, pack, int8 != 0, attentions, inFlight);
    else Bench.Train(folder, batch, seq, warmup, iters);
}
catch (Exception e) when (e is ModelFormatException or IOException)
{
    Console.Error.WriteLine(e.Message); // names the file
    return 1;
}
return 0;

internal static class Bench
{
    private static readonly string[] Targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
    private const int Rank = 16;

    /// <summary>The in-flight passes' gate (<see cref="Encode"/> with batches in flight; nothing else takes it here).</summary>
    private static readonly InferenceGate Gate = new();

    /// <summary>Encode tapes' <see cref="Tape.DirectAttention"/> (on, as SentenceEncoder.Encode; --direct-attention 0 for the A/B).</summary>
    public static bool DirectAttention = true;
    private const float Alpha = 32f, LearningRate = 1e-4f, WeightDecay = 0.01f, Clip = 1f, Scale = 20f;

    /// <summary>
    /// SentenceEncoder.Forward (transformer → mean pooling) on a non-recording tape, causal then bidirectional (or the
    /// one of <paramref name="attentions"/>); with
    /// <paramref name="int8"/> each also on a tape that multiplies the Linear layers in int8 (its cosine to float32 and
    /// the float32/int8 CPU-time ratio in the line). With <paramref name="inFlight"/> N above 0 each timed pass is N
    /// batches through Encode's batch loop (<see cref="InFlightBatches"/>; engine skald-inflight): the line's tokens/s
    /// and tokens per CPU s are over the N batches, s_per_batch and best_s a batch's share of a pass.
    /// </summary>
    public static void Encode(string folder, int batch, int seq, int warmup, int iters, int packMode, bool int8,
        AttentionMode[] attentions, int inFlight)
    {
        var encoder = SentenceEncoder.Load(folder);
        bool pack = packMode != 0, packedOnly = packMode == 2;
        var sw = Stopwatch.StartNew();
        long released = packedOnly ? encoder.KeepPackedOnly() : 0; // each Linear weight packed, its float32 values dropped
        double packS = sw.Elapsed.TotalSeconds;
        var decoder = (IDecoder)encoder.Transformer;
        var (tokens, checksum) = Tokens(1, batch, seq, decoder.Config.VocabSize);
        foreach (var attention in attentions)
        {
            decoder.AttentionMode = attention;
            string name = attention == AttentionMode.Causal ? "causal" : "bidirectional";
            float[]? fp32 = null;
            double fp32Cpu = 0;
            foreach (bool quantize in int8 ? new[] { false, true } : [false])
            {
                var tape = new Tape(recording: false) { PackWeights = pack, QuantizeLinear = quantize, DirectAttention = DirectAttention }; // as SentenceEncoder.Encode
                var loop = inFlight > 0 ? new InFlightBatches(tape) : null;
                float[] pooled = [];
                var times = Timed(() =>
                {
                    if (loop is not null)
                    {
                        loop.Run(inFlight, true, Gate, default, (t, i) =>
                        {
                            t.Reset();
                            var y = encoder.Forward(t, tokens); // [B, C]
                            if (i == 0) pooled = y.Span.ToArray();
                        }, null);
                        return;
                    }
                    tape.Reset();
                    pooled = encoder.Forward(tape, tokens).Span.ToArray(); // [B, C]
                }, warmup, iters, $"encode {name}{(quantize ? " int8" : "")}{(loop is null ? "" : $" {inFlight} in flight")}");
                double mean = times.Average();
                int perPass = Math.Max(1, inFlight); // batches a timed pass
                var row = new Dictionary<string, object>
                {
                    ["measurement"] = "encode", ["model"] = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)),
                    ["attention"] = name, ["batch"] = batch, ["seq"] = seq, ["iters"] = times.Count,
                    ["s_per_batch"] = Math.Round(mean / perPass, 3), ["best_s"] = Math.Round(times.Min() / perPass, 3),
                    ["tokens_per_s"] = Math.Round(perPass * batch * seq / mean, 1), ["pooling"] = encoder.Pooling.Modes.ToString(),
                    ["ids_checksum"] = checksum, ["packed"] = pack,
                };
                // the activation memory the pass's tapes hold (their arenas' chunks)
                row["arena_mb"] = Math.Round((loop?.ReservedBytes ?? tape.Arena.CapacityFloats * sizeof(float)) / 1048576.0, 1);
                if (loop is not null)
                {
                    row["batches_in_flight"] = inFlight;
                    row["extra_tapes"] = loop.ExtraTapes;
                    row["tokens_per_cpu_s"] = Math.Round(perPass * batch * seq / cpuPerIteration, 1);
                }
                if (packedOnly)
                {
                    row["packed_only"] = true;
                    row["released_mb"] = released >> 20;
                    row["weights_mb"] = encoder.WeightBytes >> 20; // the packed forms: 2 bytes a Linear weight from a bfloat16 file on AMX
                    row["pack_s"] = Math.Round(packS, 2);
                    row["pooled_sum"] = Math.Round(pooled.Sum(v => (double)v), 4);
                }
                else if (pack && !quantize) row["pooled_sum"] = Math.Round(pooled.Sum(v => (double)v), 4);
                if (!quantize)
                {
                    (fp32, fp32Cpu) = (pooled, cpuPerIteration);
                }
                else
                {
                    int c = pooled.Length / batch;
                    row["int8_kernel"] = Skald.Tensors.Quantization.Int8Gemm.Best?.ToString() ?? "none (float32)";
                    row["cosine_min_vs_fp32"] = Math.Round(Enumerable.Range(0, batch).Min(b => Cosine(fp32!.AsSpan(b * c, c), pooled.AsSpan(b * c, c))), 5);
                    row["cpu_ratio_fp32_over_int8"] = Math.Round(fp32Cpu / cpuPerIteration, 2);
                }
                Emit(row, quantize ? "skald-int8" : loop is null ? "skald" : "skald-inflight");
            }
        }
    }

    /// <summary>
    /// The inference-only int8 model (<see cref="SentenceEncoder.KeepInt8Only"/>) or, with <paramref name="bf16"/>, the
    /// inference-only bfloat16 one (<see cref="SentenceEncoder.KeepBf16Only"/>, as skald encode --quantize bf16), in its own
    /// process (so that its peak RSS is its own): the float32 Linear weights dropped as they are converted (straight from
    /// the file, where loading left them), then the encode batches on a non-recording tape, causal then bidirectional.
    /// The line carries the weights' bytes after converting, the float32 bytes released, the converting seconds and a
    /// checksum of the pooled values.
    /// </summary>
    public static void EncodeOnly(string folder, int batch, int seq, int warmup, int iters, AttentionMode[] attentions, bool bf16)
    {
        var encoder = SentenceEncoder.Load(folder);
        var decoder = (IDecoder)encoder.Transformer;
        var (tokens, checksum) = Tokens(1, batch, seq, decoder.Config.VocabSize);
        long before = encoder.WeightBytes;
        var sw = Stopwatch.StartNew();
        long released = bf16 ? encoder.KeepBf16Only() : encoder.KeepInt8Only();
        double quantiseS = sw.Elapsed.TotalSeconds;
        double peakAfterQuantise = Status("VmHWM:");
        string kind = bf16 ? "bf16" : "int8";
        foreach (var attention in attentions)
        {
            decoder.AttentionMode = attention;
            string name = attention == AttentionMode.Causal ? "causal" : "bidirectional";
            var tape = bf16 // as SentenceEncoder.Encode on this model
                ? new Tape(recording: false) { Bf16Linear = true, KeepBf16Only = true, DirectAttention = DirectAttention }
                : new Tape(recording: false) { QuantizeLinear = true, DirectAttention = DirectAttention };
            float[] pooled = [];
            var times = Timed(() =>
            {
                tape.Reset();
                pooled = encoder.Forward(tape, tokens).Span.ToArray();
            }, warmup, iters, $"encode {name} {kind}-only");
            double mean = times.Average();
            Emit(new Dictionary<string, object>
            {
                ["measurement"] = "encode", ["model"] = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)),
                ["attention"] = name, ["batch"] = batch, ["seq"] = seq, ["iters"] = times.Count,
                ["s_per_batch"] = Math.Round(mean, 3), ["best_s"] = Math.Round(times.Min(), 3),
                ["tokens_per_s"] = Math.Round(batch * seq / mean, 1), ["ids_checksum"] = checksum,
                [$"{kind}_kernel"] = bf16 ? (Skald.Tensors.Quantization.Bf16Gemm.IsSupported ? "vdpbf16ps" : "none (float32)")
                    : Skald.Tensors.Quantization.Int8Gemm.Best?.ToString() ?? "none (float32)",
                ["weights_mb_float32"] = before >> 20, [$"weights_mb_{kind}only"] = encoder.WeightBytes >> 20,
                ["released_mb"] = released >> 20, ["quantise_s"] = Math.Round(quantiseS, 2),
                ["peak_rss_mb_after_quantise"] = peakAfterQuantise,
                ["pooled_sum"] = Math.Round(pooled.Sum(v => (double)v), 4),
            }, $"skald-{kind}only");
        }
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);

    /// <summary>
    /// One LoRA step as skald train runs it (and as LoraTrainingTests writes it out): forward anchors and positives on a
    /// recording tape (bidirectional, mean pooling, L2-normalised), MNRL, backward, clip, AdamW on the adapters.
    /// </summary>
    public static void Train(string folder, int batch, int seq, int warmup, int iters)
    {
        var model = TrainableEncoder.Load(folder, dropout: 0f, seed: 1);
        var decoder = (IDecoder)model.Model.Transformer;
        decoder.AttentionMode = AttentionMode.Bidirectional;
        model.EnableLora(new LoraConfig { R = Rank, Alpha = Alpha, Dropout = 0f, TargetModules = Targets }, seed: 7);
        var (all, checksum) = Tokens(2, 2 * batch, seq, decoder.Config.VocabSize);
        var columns = new[] { Slice(all, 0, batch), Slice(all, batch, batch) };
        var adam = new AdamW(model.Parameters, weightDecay: WeightDecay);
        var loss = new MultipleNegativesRankingLoss(Scale);
        var tape = new Tape();
        var losses = new List<double>();
        var phases = new double[3]; // forward (+ loss), backward, clip + AdamW: summed over the timed steps
        int step = 0;
        var times = Timed(() =>
        {
            var sw = Stopwatch.StartNew();
            model.ZeroGradients();
            tape.Reset();
            var anchors = model.Model.Forward(tape, columns[0], normalize: true);
            var positives = model.Model.Forward(tape, columns[1], normalize: true);
            var embeddings = new[]
            {
                new EmbeddingBatch(anchors.Span.ToArray(), batch, anchors.Cols),
                new EmbeddingBatch(positives.Span.ToArray(), batch, positives.Cols),
            };
            var grads = embeddings.Select(c => new EmbeddingBatch(c.Rows, c.Dim)).ToArray();
            losses.Add(Math.Round(loss.Compute(embeddings, null, grads), 5));
            double forward = sw.Elapsed.TotalSeconds;
            tape.Seed(anchors, grads[0].Data);
            tape.Seed(positives, grads[1].Data);
            tape.Backward();
            double backward = sw.Elapsed.TotalSeconds;
            GradientClipping.ClipGlobalNorm(model.Parameters, Clip);
            adam.Step(LearningRate);
            if (step++ >= warmup)
            {
                phases[0] += forward;
                phases[1] += backward - forward;
                phases[2] += sw.Elapsed.TotalSeconds - backward;
            }
        }, warmup, iters, "train step");
        double mean = times.Average();
        Emit(new Dictionary<string, object>
        {
            ["measurement"] = "lora_step", ["attention"] = "bidirectional", ["batch_pairs"] = batch, ["seq"] = seq,
            ["rank"] = Rank, ["alpha"] = Alpha, ["iters"] = times.Count, ["step_s"] = Math.Round(mean, 3),
            ["best_s"] = Math.Round(times.Min(), 3), ["steps_per_s"] = Math.Round(1 / mean, 4),
            ["tokens_per_s"] = Math.Round(2 * batch * seq / mean, 1),
            ["forward_s"] = Math.Round(phases[0] / times.Count, 3), ["backward_s"] = Math.Round(phases[1] / times.Count, 3),
            ["optimizer_s"] = Math.Round(phases[2] / times.Count, 3),
            ["trainable_parameters"] = model.Parameters.Sum(p => (long)p.Length), ["losses"] = losses, ["ids_checksum"] = checksum,
        });
    }

    /// <summary>batch × seq ids from splitmix64(seed) mod vocab (bench_torch_decoder.py has the same), full mask.</summary>
    private static (TokenBatch Tokens, long Checksum) Tokens(ulong seed, int batch, int seq, int vocab) =>
        Skald.Bench.Common.SplitMixTokens.Create(seed, batch, seq, vocab);

    private static TokenBatch Slice(TokenBatch all, int first, int count)
    {
        int n = count * all.Seq, start = first * all.Seq;
        return new TokenBatch(all.Ids[start..(start + n)], all.Mask[start..(start + n)], new int[n], count, all.Seq);
    }

    /// <summary>Process CPU seconds (all threads, user + system) per timed iteration of the last <see cref="Timed"/>.</summary>
    private static double cpuPerIteration;

    /// <summary>
    /// Per timed iteration of the last <see cref="Timed"/>: the process's voluntary context switches (a thread blocked:
    /// a pool worker asleep, a wait on I/O), involuntary ones (preempted: the host's load), and major page faults (a
    /// weight read from the disk): where wall time above CPU time went.
    /// </summary>
    private static (double Voluntary, double Involuntary, double MajorFaults) switchesPerIteration;

    private static List<double> Timed(Action body, int warmup, int iters, string label)
    {
        var times = new List<double>();
        double cpu = 0;
        (double Voluntary, double Involuntary, double MajorFaults) switches = default;
        for (int i = 0; i < warmup + iters; i++)
        {
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var (v0, n0, f0) = (Status("voluntary_ctxt_switches:"), Status("nonvoluntary_ctxt_switches:"), MajorFaults());
            var sw = Stopwatch.StartNew();
            body();
            sw.Stop();
            if (i >= warmup)
            {
                cpu += (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
                switches = (switches.Voluntary + Status("voluntary_ctxt_switches:") - v0,
                    switches.Involuntary + Status("nonvoluntary_ctxt_switches:") - n0, switches.MajorFaults + MajorFaults() - f0);
            }
            Console.Error.WriteLine($"{label} {i}: {sw.Elapsed.TotalSeconds:F3} s{(i < warmup ? " (warm-up)" : "")}, " +
                $"managed heap {GC.GetTotalMemory(false) >> 20} MB, VmRSS {Status("VmRSS:")} MB");
            if (i >= warmup) times.Add(sw.Elapsed.TotalSeconds);
        }
        cpuPerIteration = cpu / iters;
        switchesPerIteration = (switches.Voluntary / iters, switches.Involuntary / iters, switches.MajorFaults / iters);
        return times;
    }

    private static void Emit(Dictionary<string, object> fields, string engine = "skald")
    {
        fields["cpu_s"] = Math.Round(cpuPerIteration, 3);
        fields["voluntary_switches"] = Math.Round(switchesPerIteration.Voluntary);
        fields["involuntary_switches"] = Math.Round(switchesPerIteration.Involuntary);
        fields["major_faults"] = Math.Round(switchesPerIteration.MajorFaults);
        fields["engine"] = engine;
        fields["gemm"] = Blas.Backend.GetType().Name;
        fields["threads"] = Parallelism.MaxThreads;
        fields["peak_rss_mb"] = Status("VmHWM:");
        fields["rss_mb"] = Status("VmRSS:");
        Console.WriteLine(JsonSerializer.Serialize(fields));
    }

    /// <summary>The process's major page faults so far (/proc/self/stat's majflt, the 10th field after the command).</summary>
    private static double MajorFaults()
    {
        string stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return double.Parse(fields[9], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A kB line of /proc/self/status in MB (a count line, such as voluntary_ctxt_switches, as it is).</summary>
    private static double Status(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
            var value = line.AsSpan(key.Length).Trim();
            bool kb = value.EndsWith("kB", StringComparison.Ordinal);
            long n = long.Parse(kb ? value[..^2].Trim() : value, System.Globalization.CultureInfo.InvariantCulture);
            return kb ? Math.Round(n / 1024.0, 1) : n;
        }
        return -1;
    }
}
