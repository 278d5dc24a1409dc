using System.CommandLine;
using System.Diagnostics;
using Skald.Cli.CommandLine;
using Skald.Distributed;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald mpi-check</c> (hidden): run under <c>mpirun -np N</c>, every rank exercises each collective with
/// rank-dependent data and checks the result (sum, broadcast from the last rank, gathers of unequal and empty blocks);
/// rank 0 prints one line per rank. <c>--allreduce-mb</c> times an all-reduce of that size; <c>--exit-rank</c> makes
/// that rank leave with exit code 3 while the others wait in a barrier (mpirun must end the job, not hang).
/// </summary>
internal sealed class MpiCheckCommand : Command
{
    private readonly Option<int?> exitRank = CliOptions.Int("--exit-rank", "This rank exits with code 3 after the checks, while the others wait", min: 0);
    private readonly Option<int?> allreduceMb = CliOptions.Int("--allreduce-mb", "Time an all-reduce of this many MB of floats");

    public MpiCheckCommand() : base("mpi-check", "Check MPI collectives across the ranks of mpirun")
    {
        Hidden = true;
        Options.Add(exitRank);
        Options.Add(allreduceMb);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        var w = Cli.World;
        int n = w.Size, r = w.Rank;
        var failures = new List<string>();
        void Expect(bool ok, string what)
        {
            if (!ok) failures.Add(what);
        }

        var f = new float[1000];
        for (int i = 0; i < f.Length; i++) f[i] = (r + 1) * (i + 1);
        w.AllReduceSum(f);
        Expect(f.Select((v, i) => v == (i + 1) * n * (n + 1) / 2f).All(x => x), "allreduce float");
        var d = new double[] { r + 0.5, -r };
        w.AllReduceSum(d);
        Expect(d[0] == n * (n - 1) / 2.0 + n * 0.5 && d[1] == -n * (n - 1) / 2.0, "allreduce double");
        var big = new float[3_000_001];
        big.AsSpan().Fill(1);
        w.AllReduceSum(big);
        Expect(big.All(v => v == n), "allreduce 3M floats");
        var b = Enumerable.Range(0, 64).Select(i => r == n - 1 ? 7f + i : float.NaN).ToArray();
        w.Broadcast(b, root: n - 1);
        Expect(b.Select((v, i) => v == 7f + i).All(x => x), "broadcast float from the last rank");
        var bytes = Enumerable.Range(0, 17).Select(i => r == 0 ? (byte)(i * 3) : (byte)0).ToArray();
        w.Broadcast(bytes);
        Expect(bytes.Select((v, i) => v == (byte)(i * 3)).All(x => x), "broadcast bytes");
        var counts = Enumerable.Range(0, n).Select(k => k == 0 ? 0 : k + 1).ToArray(); // rank 0 gives nothing
        var local = Enumerable.Range(0, counts[r]).Select(j => r * 10f + j).ToArray();
        var all = new float[counts.Sum()];
        w.AllGather(local, all, counts);
        var expected = Enumerable.Range(0, n).SelectMany(k => Enumerable.Range(0, counts[k]).Select(j => k * 10f + j)).ToArray();
        Expect(all.SequenceEqual(expected), "allgatherv");
        var ints = new int[n];
        w.AllGather(r * 3, ints);
        Expect(ints.Select((v, k) => v == k * 3).All(x => x), "allgather int");
        w.Barrier();
        if (w is Skald.Distributed.Native.MpiCommunicator mpi)
        {
            // MPI_ERR_BUFFER (1) as MPI_Bcast would return it under MPI_ERRORS_RETURN: the exception carries MPI's text.
            string text = mpi.ErrorOf(1)?.Message ?? "";
            Expect(text.StartsWith("MPI_Bcast failed: MPI_ERR_BUFFER", StringComparison.Ordinal), $"error string ({text})");
            if (r == 0) Console.WriteLine($"error text: {text}");
        }

        var status = new int[n];
        w.AllGather(failures.Count, status);
        Console.WriteLine($"world_size {n}");
        for (int k = 0; k < n; k++) Console.WriteLine($"rank {k}: {(status[k] == 0 ? "ok" : $"{status[k]} checks failed")}");
        if (failures.Count > 0) throw new MpiException($"rank {r}: collectives gave wrong results: {string.Join(", ", failures)}");

        if (p.GetValue(allreduceMb) is { } mb)
        {
            var buffer = new float[mb * 1024 * 1024 / 4];
            w.AllReduceSum(buffer); // warm-up
            var clock = Stopwatch.StartNew();
            const int repeats = 5;
            for (int i = 0; i < repeats; i++) w.AllReduceSum(buffer);
            double ms = clock.Elapsed.TotalMilliseconds / repeats;
            Console.WriteLine($"allreduce {mb} MB: {ms:F2} ms ({mb / 1024.0 / (ms / 1000):F2} GB/s algorithm bandwidth)");
        }
        if (p.GetValue(exitRank) is { } quit)
        {
            if (r == quit)
            {
                Console.Error.WriteLine($"rank {r} exits with code 3");
                return 3;
            }
            w.Barrier(); // never completes: mpirun must end the job
        }
        return 0;
    }
}
