using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Retrieval.Index;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.Commands.Index;

/// <summary>
/// <c>skald index reindex</c>: another dense search layout for an index (exact, int8 / binary, PQ, IVF, HNSW; lists or
/// codebooks trained again on the rows as they are now) from its stored float rows, without embedding anything again.
/// </summary>
internal sealed class IndexReindexCommand : Command
{
    private readonly Option<string> index = IndexOptions.Index();
    private readonly Option<int?> truncateDim = CliOptions.Int("--truncate-dim",
        "Cut the stored rows to their first N values (a Matryoshka model's smaller width; at unit length again for cosine); queries are cut the same way");
    private readonly DenseLayoutOptions layoutOptions = new();

    public IndexReindexCommand() : base("reindex",
        "Lay out an index's dense rows anew from its stored embeddings (no model needed, nothing embedded again): exact, --precision, " +
        "--pq, --ivf-lists (lists trained again) or --hnsw, as 'index build' takes them, and --truncate-dim to shrink the rows; deleted rows are dropped")
    {
        Options.Add(index);
        Options.Add(truncateDim);
        foreach (var o in layoutOptions.All) Options.Add(o);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        var layout = layoutOptions.Of(p);
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var manifest = IndexBuilder.Reindex(p.GetValue(index)!, layout, IndexOptions.Linking(quiet), p.GetValue(truncateDim) ?? 0);
            Terminal.Log($"laid out {Counted.Of(manifest.Rows, "row")} ({IndexOptions.Layout(manifest)}) in {clock.Elapsed.TotalSeconds:F1} s → {p.GetValue(index)}", quiet);
            return 0;
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }
}
