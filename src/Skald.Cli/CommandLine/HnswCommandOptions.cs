using System.CommandLine;
using Skald.Retrieval.Hnsw;

namespace Skald.Cli.CommandLine;

/// <summary>
/// The HNSW graph options (<c>--hnsw</c>, <c>--hnsw-ef-construction</c>, <c>--hnsw-ef</c>) of the commands that build
/// an HNSW index or evaluate search as one would answer, and the one reading of them.
/// </summary>
internal sealed class HnswCommandOptions
{
    /// <summary>
    /// The three options; <paramref name="what"/> says what the graph serves; <paramref name="index"/> adds
    /// <c>--hnsw-replace-deleted</c>, a setting an index keeps.
    /// </summary>
    public HnswCommandOptions(string what, bool index = false)
    {
        ReplaceDeleted = !index ? null : CliOptions.Flag("--hnsw-replace-deleted",
            "With --hnsw: index add gives new rows the slots of the rows it drops (hnswlib's allow_replace_deleted), kept in the index; an add's --replace-deleted true|false overrides it " +
            "(index reindex --hnsw keeps the index's setting; --hnsw-replace-deleted false drops it)");
        M = CliOptions.Int("--hnsw",
            $"{what}: approximate dense search over an HNSW graph (as hnswlib) with M links per node (16 is hnswlib's default; " +
            "more finds more and costs memory and build time)", min: 2, helpName: "M");
        EfConstruction = CliOptions.Int("--hnsw-ef-construction",
            $"With --hnsw: candidates kept while each row's links are chosen (default {HnswOptions.DefaultEfConstruction}; more builds a better graph, slower){Kept(index)}");
        Ef = CliOptions.Int("--hnsw-ef",
            $"With --hnsw: candidates a search keeps by default (default {HnswOptions.DefaultEfSearch}; more is slower and finds more){Kept(index)}");
    }

    // An index keeps its graph's settings: a reindex without the option keeps the index's value.
    private static string Kept(bool index) => index ? "; index reindex --hnsw keeps the index's value unless this is given" : "";

    /// <summary><c>--hnsw</c>.</summary>
    public Option<int?> M { get; }

    /// <summary><c>--hnsw-ef-construction</c>.</summary>
    public Option<int?> EfConstruction { get; }

    /// <summary><c>--hnsw-ef</c>.</summary>
    public Option<int?> Ef { get; }

    /// <summary><c>--hnsw-replace-deleted</c> (an index's commands only).</summary>
    public Option<bool>? ReplaceDeleted { get; }

    /// <summary><c>--hnsw-replace-deleted</c> as given (true, or false), null when not given or not an index's option.</summary>
    public bool? ReplaceDeletedGiven(ParseResult p) =>
        ReplaceDeleted is not null && p.GetResult(ReplaceDeleted) is { Implicit: false } ? p.GetValue(ReplaceDeleted) : null;

    /// <summary><c>--hnsw-ef-construction</c> as given, null when not given.</summary>
    public int? EfConstructionGiven(ParseResult p) => p.GetValue(EfConstruction);

    /// <summary><c>--hnsw-ef</c> as given, null when not given.</summary>
    public int? EfGiven(ParseResult p) => p.GetValue(Ef);

    /// <summary>The options to add to a command.</summary>
    public IEnumerable<Option> All => ReplaceDeleted is null ? [M, EfConstruction, Ef] : [M, EfConstruction, Ef, ReplaceDeleted];

    /// <summary>The settings, or null without <c>--hnsw</c> (the other two alone are a usage error).</summary>
    public HnswOptions? Of(ParseResult p)
    {
        int? m = p.GetValue(M), efc = p.GetValue(EfConstruction), ef = p.GetValue(Ef);
        bool replace = ReplaceDeleted is not null && p.GetValue(ReplaceDeleted);
        if (m is null)
        {
            if (efc is not null || ef is not null) throw new UsageException($"{(efc is not null ? "--hnsw-ef-construction" : "--hnsw-ef")} needs --hnsw M");
            if (replace) throw new UsageException("--hnsw-replace-deleted needs --hnsw M (an index without a graph drops deleted rows on every add)");
            return null;
        }
        if (m > 100) throw new UsageException($"--hnsw: {m} links per node is more than 100 (hnswlib's users stay within 4–64)");
        return new HnswOptions { M = m.Value, EfConstruction = efc ?? HnswOptions.DefaultEfConstruction, EfSearch = ef ?? 0, ReplaceDeleted = replace };
    }
}
