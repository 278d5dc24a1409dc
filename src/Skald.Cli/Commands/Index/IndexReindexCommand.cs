using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Retrieval;
using Skald.Retrieval.Index;

namespace Skald.Cli.Commands.Index;

/// <summary>
/// <c>skald index reindex</c>: another dense search layout for an index (exact, int8 / binary, PQ, IVF, HNSW; lists or
/// codebooks trained again on the rows as they are now) from its stored float rows, without embedding anything again.
/// </summary>
internal sealed class IndexReindexCommand : Command
{
    private readonly Option<string> index = IndexOptions.Index();
    private readonly IvfCommandOptions ivf = new("The index");
    private readonly HnswCommandOptions hnsw = new("The index");
    private readonly Option<int?> truncateDim = CliOptions.Int("--truncate-dim",
        "Cut the stored rows to their first N values (a Matryoshka model's smaller width; at unit length again for cosine); queries are cut the same way");
    private readonly PrecisionOptions precision = new("Dense search: read the embeddings (held in memory; the float32 ones stay on disk to rescore the best hits)", rescoring: false);

    public IndexReindexCommand() : base("reindex",
        "Lay out an index's dense rows anew from its stored embeddings (no model needed, nothing embedded again): exact, --precision, " +
        "--pq, --ivf-lists (lists trained again) or --hnsw, as 'index build' takes them, and --truncate-dim to shrink the rows; deleted rows are dropped")
    {
        Options.Add(index);
        Options.Add(truncateDim);
        foreach (var o in precision.All) Options.Add(o);
        foreach (var o in ivf.All) Options.Add(o);
        foreach (var o in hnsw.All) Options.Add(o);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        var layout = new DenseLayout { Precision = precision.Of(p), Pq = precision.Product(p), Ivf = ivf.Of(p), Hnsw = hnsw.Of(p) };
        if (layout.Ivf is not null && layout.Hnsw is not null) throw new UsageException("--hnsw and --ivf-lists are two kinds of approximate index; choose one");
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var manifest = IndexBuilder.Reindex(p.GetValue(index)!, layout, IndexOptions.Linking(quiet), p.GetValue(truncateDim) ?? 0);
            Terminal.Log($"laid out {manifest.Rows} row(s) ({IndexOptions.Layout(manifest)}) in {clock.Elapsed.TotalSeconds:F1} s → {p.GetValue(index)}", quiet);
            return 0;
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }
}
