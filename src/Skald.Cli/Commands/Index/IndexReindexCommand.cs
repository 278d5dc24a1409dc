using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.Commands.Index;

/// <summary>
/// <c>skald index reindex</c>: another dense search layout for an index (exact, int8 / binary, PQ, IVF, HNSW; lists or
/// codebooks trained again on the rows as they are now) from its stored float rows, without embedding anything again;
/// with <c>--model</c>, a ColBERT or BGE-M3 index's chunks encoded again by that model (<see cref="IndexBuilder.Reencode"/>).
/// </summary>
internal sealed class IndexReindexCommand : Command
{
    private readonly Option<string> index = IndexOptions.Index();
    private readonly Option<int?> truncateDim = CliOptions.Int("--truncate-dim",
        "Cut the stored rows to their first N values (a Matryoshka model's smaller width; at unit length again for cosine); queries are cut the same way");
    private readonly DenseLayoutOptions layoutOptions = new();
    private readonly Option<string> model = CliOptions.Text("--model",
        "ColBERT / PyLate and BGE-M3 indexes: encode every chunk again with this model of the index's kind (the index's own after a change, or another); " +
        "records, chunking, the stored outputs and the token format stay, a PLAID index's centroids are trained again", "DIR|ID");
    private readonly Option<int?> batchSize = CliOptions.Int("--batch-size", "With --model: texts per forward pass", defaultValue: 32);
    private readonly Option<string> float32Matmul = Float32MatmulOption.Create();

    public IndexReindexCommand() : base("reindex",
        "Lay out an index's dense rows anew from its stored embeddings (no model needed, nothing embedded again): exact, --precision, " +
        "--pq, --ivf-lists (lists trained again) or --hnsw, as 'index build' takes them, and --truncate-dim to shrink the rows; deleted rows are dropped. " +
        "A ColBERT or BGE-M3 index: --model encodes its chunks again")
    {
        Options.Add(index);
        Options.Add(truncateDim);
        Options.Add(model);
        Options.Add(batchSize);
        Options.Add(float32Matmul);
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
            if (p.GetValue(model) is { } spec) return Reencode(p, spec, layout, quiet, clock);
            if (layout.Hnsw is not null)
                using (var open = SearchIndex.Open(p.GetValue(index)!)) layout = layoutOptions.Reindexed(p, layout, open.Manifest);
            var manifest = IndexBuilder.Reindex(p.GetValue(index)!, layout, IndexOptions.Linking(quiet), p.GetValue(truncateDim) ?? 0);
            Terminal.Log($"laid out {Counted.Of(manifest.Rows, "row")} ({IndexOptions.Layout(manifest)}) in {clock.Elapsed.TotalSeconds:F1} s → {p.GetValue(index)}", quiet);
            return 0;
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }

    /// <summary>
    /// <c>--model</c>: a late-interaction or BGE-M3 index's chunks encoded again (<see cref="IndexBuilder.Reencode"/>,
    /// a BGE-M3 model making the outputs the index stores); layout options and <c>--truncate-dim</c> are refused in one
    /// line, as is a model not of the index's kind.
    /// </summary>
    private int Reencode(ParseResult p, string spec, DenseLayout layout, bool quiet, System.Diagnostics.Stopwatch clock)
    {
        if ((layout.FirstOption ?? (p.GetValue(truncateDim) is not null ? "--truncate-dim" : null)) is { } setting)
            throw new UsageException($"{setting} lays out a dense index's stored rows; with --model a ColBERT or BGE-M3 index's chunks are encoded again, their token format kept");
        string folder = p.GetValue(index)!;
        IndexManifest stored;
        using (var open = SearchIndex.Open(folder)) stored = open.Manifest;
        string dir = IndexOptions.ModelFolder(spec, quiet);
        int batch = p.GetValue(batchSize) ?? 32;
        if (stored.BgeM3 is not null && !BgeM3EmbeddingModel.IsBgeM3(dir))
            throw new InputException($"{dir}: index reindex --model encodes a BGE-M3 index's chunks again, and this model is not a BGE-M3 folder (no sparse_linear.pt or colbert_linear.pt)");
        if (stored.BgeM3 is null && !MultiVectorEmbeddingModel.IsMultiVector(dir))
            throw new InputException($"{dir}: index reindex --model encodes a ColBERT index's chunks again, and this model is not a late-interaction (ColBERT / PyLate) model");
        using IDisposable embedder = stored.BgeM3 is not null ? BgeM3EmbeddingModel.Load(dir, stored.BgeM3.Stored, batch) : MultiVectorEmbeddingModel.Load(dir, batch, stored.PoolFactor ?? 1); // the index's pooling kept
        if (embedder is BgeM3EmbeddingModel m3) Float32MatmulOption.Apply(m3.Encoder, p.GetValue(float32Matmul), quiet);
        else Float32MatmulOption.Apply(((MultiVectorEmbeddingModel)embedder).Encoder, p.GetValue(float32Matmul), quiet);
        var manifest = IndexBuilder.Reencode(folder, (IEmbeddingModel)embedder, dir, progress: IndexOptions.Progress(quiet));
        Terminal.Log($"encoded {Counted.Of(manifest.Rows, "row")} again with {manifest.ModelName} ({IndexOptions.Layout(manifest)}) in {clock.Elapsed.TotalSeconds:F1} s → {folder}", quiet);
        return 0;
    }
}
