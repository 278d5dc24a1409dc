using System.Diagnostics;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;

namespace Skald.Bench.Attention;

/// <summary>
/// Whole-model A/B in one process: the transformer forward of a model folder on two non-recording tapes with
/// pre-packed weights (as SentenceEncoder.Encode), Tape.DirectAttention off and on, one iteration of each in turn, so
/// the machine's load changes hit both alike; the process CPU time of each iteration is summed per variant.
/// Ids as bench/Skald.Bench: 1000 + (b·131 + t·17) mod 20000, full masks.
/// </summary>
internal static class ModelAb
{
    public static void Run(string dir, int batch, int[] seqs, int iterations, bool pack)
    {
        var model = ArchitectureRegistry.Load(dir);
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(dir));
        foreach (int seq in seqs)
        {
            var tokens = Skald.Bench.Common.SyntheticBatch.Create(batch, seq);
            var tapes = new[]
            {
                new Tape(recording: false) { PackWeights = pack, DirectAttention = false },
                new Tape(recording: false) { PackWeights = pack, DirectAttention = true },
            };
            var outputs = new float[2][];
            for (int v = 0; v < 2; v++)
            {
                tapes[v].Reset();
                outputs[v] = model.Forward(tapes[v], tokens).Span.ToArray();
            }
            double maxDiff = outputs[0].Zip(outputs[1], (a, b) => Math.Abs(a - b)).Max();
            var cpu = new double[2];
            var wall = new double[2];
            var proc = Process.GetCurrentProcess();
            for (int i = 0; i < iterations; i++)
            {
                for (int v = 0; v < 2; v++)
                {
                    proc.Refresh();
                    var c0 = proc.TotalProcessorTime;
                    var sw = Stopwatch.StartNew();
                    tapes[v].Reset();
                    model.Forward(tapes[v], tokens);
                    wall[v] += sw.Elapsed.TotalSeconds;
                    proc.Refresh();
                    cpu[v] += (proc.TotalProcessorTime - c0).TotalSeconds;
                }
            }
            double count = (double)iterations * batch * seq;
            Console.WriteLine($"{{\"model\":\"{name}\",\"batch\":{batch},\"seq\":{seq},\"iterations\":{iterations}," +
                $"\"gemm_attn_tokens_per_cpu_s\":{count / cpu[0]:F0},\"direct_tokens_per_cpu_s\":{count / cpu[1]:F0}," +
                $"\"direct_over_gemm_cpu\":{cpu[0] / cpu[1]:F3},\"direct_over_gemm_wall\":{wall[0] / wall[1]:F3}," +
                $"\"max_abs_diff\":{maxDiff:E2}}}");
        }
    }
}
