using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Skald.Retrieval.Index;

namespace Skald.Cli.Tests;

/// <summary>
/// <c>skald index build|add|delete|reindex</c> killed (SIGKILL) at each named point of an index write
/// (<c>SKALD_TEST_INDEX_KILL_AT</c>: rows and files half staged, staged, old folder moved aside, new one moved in,
/// HNSW graph half linked, a sparse index's rows staged before its postings, tombstones written but not renamed), or
/// stopped there (<c>SKALD_TEST_INDEX_PAUSE_AT</c>; also with the staging folder made and empty) and killed from outside, for
/// exact, HNSW, IVF, PQ, sparse, ColBERT (float32, int8 and PLAID token vectors; a PLAID one re-encoded by
/// <c>reindex --model</c>) and BGE-M3 indexes (their ColBERT vectors PLAID coded too): the folder left
/// behind opens and searches as either the old index or the new one (manifest, rows, records, graph, lists, codes and
/// tombstones of one and the same write), <c>index info</c> describes it, and the same command run again ends exactly
/// where an uninterrupted run does, with no staging leftovers.
/// </summary>
[RunsLong(91)] // 26 kills of real index writes, one after another
public sealed class IndexKillTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");
    private static readonly string Documents = Path.Combine(TestPaths.RepoRoot, "samples", "documents");
    private const string KillVariable = "SKALD_TEST_INDEX_KILL_AT";
    private const string PauseVariable = "SKALD_TEST_INDEX_PAUSE_AT";
    private const string PausedLine = "skald: test: index write paused at "; // and the point's name
    private const int Killed = 128 + 9; // a child ended by SIGKILL

    private static readonly string SparseModel = TestPaths.FixtureModel("splade-bert-tiny");

    private static readonly string ColbertModel = TestPaths.FixtureModel("colbert-bert-tiny");

    private static readonly string BgeM3Model = TestPaths.FixtureModel("bge-m3-tiny");

    /// <summary>
    /// The indexes the tests start from, built once per model and layout: the tests only read them and copy them
    /// (<see cref="KillAt"/> and <see cref="KillDuringWrite"/> write to copies), one at a time (one class, one collection).
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<string>> Bases = new(StringComparer.Ordinal);

    private static string Build(params string[] layout) => BuildWith(Model, layout);

    /// <summary>The shared index of <paramref name="model"/> with <paramref name="layout"/> (built on first use; copy it before writing).</summary>
    private static string BuildWith(string model, params string[] layout) =>
        Bases.GetOrAdd(model + "\n" + string.Join('\n', layout), _ => new Lazy<string>(() => BuildNew(model, layout))).Value;

    /// <summary>A new index of <paramref name="model"/> with <paramref name="layout"/>, this test's own.</summary>
    private static string BuildNew(string model, params string[] layout)
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture(["index", "build", "--model", model, "--documents", Documents, "--output", folder, "--language", "nb", "-q", .. layout]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return folder;
    }

    private static string Copy(string folder) => TestPaths.CopyFolder(folder, Path.Combine(TestPaths.NewTempDir(), "idx"));

    private static string Extra()
    {
        string file = Path.Combine(TestPaths.NewTempDir(), "sykkelbod.txt");
        File.WriteAllText(file, "Sykkelboden ligger bak kontoret. Der kan du parkere sykkelen trygt under tak, og lade elsykkelen.");
        Settled(file);
        return file;
    }

    /// <summary>
    /// The file, or every file under the folder, last written an hour ago: its stamp (<c>source_mtime</c>) is recorded
    /// alike by every run, where a time under 2 s old at a run would be left out by one run and recorded by a later one.
    /// </summary>
    private static void Settled(string path)
    {
        var written = DateTime.UtcNow.AddHours(-1);
        foreach (var f in File.Exists(path) ? new[] { path } : Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)) File.SetLastWriteTimeUtc(f, written);
    }

    /// <summary>
    /// What the index in <paramref name="folder"/> holds, checked whole: it opens (every part agrees with the manifest),
    /// searches dense and BM25, and the hash of each file (the manifest without its write time) names the write.
    /// </summary>
    private static string State(string folder)
    {
        using (var index = SearchIndex.Open(folder))
        {
            int live = Enumerable.Range(0, index.Records.Count).First(r => !index.Deleted.Contains(r));
            var ids = index.Records.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
            var own = Array.Empty<float>(); // a late-interaction index: a row's own token vectors (decoded from float16 or int8) as the query
            int values = index.IsMultiVector ? index.CopyTokens(live, ref own) : 0;
            var dense = index.IsBgeM3 // a BGE-M3 index: a row's own stored outputs as the query
                ? index.SearchBgeM3("", index.BgeM3Row(live), Skald.Retrieval.Index.TextIndex.DefaultWeights(index), SearchMode.Dense, 3)
                : index.IsMultiVector
                ? index.SearchTokens("", new Skald.Models.LateInteraction.TokenVectors(own[..values], new int[index.TokenCount(live)],
                    index.Manifest.Dimension), SearchMode.Dense, 3)
                : index.Search("", index.Vector(live).ToArray(), SearchMode.Dense, 3);
            Assert.Equal(Math.Min(3, index.LiveCount), dense.Count);
            Assert.All(dense, h => Assert.Contains(h.Record.Id, ids));
            Assert.NotEmpty(index.Search("sykkelen", null, SearchMode.Bm25, 3));
        }
        var parts = new List<string>();
        foreach (string file in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(file);
            if (name == "model-verified.json" || name.StartsWith(".tmp-", StringComparison.Ordinal)) continue; // a search's note; a killed delete's temporary (Leftovers)
            byte[] bytes = File.ReadAllBytes(file);
            if (name == IndexWriter.ManifestFile)
            {
                var manifest = JsonNode.Parse(bytes)!.AsObject();
                manifest.Remove("updated");
                bytes = System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString());
            }
            parts.Add($"{name}:{Convert.ToHexString(SHA256.HashData(bytes))[..16]}");
        }
        return string.Join(' ', parts);
    }

    /// <summary>Staging siblings (<c>.tmp-…</c>, <c>.old-…</c>) and the write lock's file (<c>.lock-…</c>) beside or inside the index.</summary>
    private static string[] Leftovers(string folder) =>
        [.. Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(folder)!).Concat(Directory.Exists(folder) ? Directory.EnumerateFileSystemEntries(folder) : [])
            .Select(Path.GetFileName).Where(n => n!.StartsWith(".tmp-", StringComparison.Ordinal) || n.StartsWith(".old-", StringComparison.Ordinal)
                || n.StartsWith(".lock-", StringComparison.Ordinal))!];

    /// <summary>
    /// Runs <paramref name="command"/> (its index folder given by <c>{index}</c>) on a copy of <paramref name="base"/>
    /// uninterrupted, then on a fresh copy killed at each of <paramref name="points"/>, and checks what each kill left.
    /// </summary>
    private static void KillAt(string @base, string[] command, params string[] points)
    {
        string before = State(@base);
        string reference = Copy(@base);
        var run = InProcessSkald.Capture([.. command.Select(a => a == "{index}" ? reference : a)]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        string after = State(reference);
        Assert.NotEqual(before, after);
        foreach (string point in points)
        {
            string folder = Copy(@base);
            string[] args = [.. command.Select(a => a == "{index}" ? folder : a)];
            var killed = SkaldProcess.RunWith(null, new Dictionary<string, string> { [KillVariable] = point }, args);
            Assert.True(killed.ExitCode == Killed, $"{point}: exit {killed.ExitCode}, expected a kill; {killed.Stderr}");

            var info = InProcessSkald.Capture("index", "info", "--index", folder, "--format", "json");
            Assert.True(info.ExitCode == 0, $"{point}: index info failed: {info.Stderr}");
            int rows = JsonNode.Parse(info.Stdout)!["rows"]!.GetValue<int>();
            Assert.Equal(JsonNode.Parse(File.ReadAllText(Path.Combine(folder, IndexWriter.ManifestFile)))!["rows"]!.GetValue<int>(), rows);
            string state = State(folder);
            Assert.True(state == before || state == after, $"{point}: the index is neither the old one nor the new one: {state}");
            if (state == before)
            {
                var again = InProcessSkald.Capture(args);
                Assert.True(again.ExitCode == 0, $"{point}: the run after the kill failed: {again.Stderr}");
                Assert.True(State(folder) == after, $"{point}: the run after the kill ended elsewhere than an uninterrupted one");
                Assert.Empty(Leftovers(folder));
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="command"/> on a copy of <paramref name="base"/> uninterrupted, then on fresh copies stopped at
    /// each of <paramref name="points"/> (<c>SKALD_TEST_INDEX_PAUSE_AT</c>: the writer stops there for good and says so
    /// on stderr) and killed from outside (SIGKILL) once it has said so: every run is killed, at a known step of the
    /// write, whatever the load; the folder is the old index or the new one, and a run after it ends as the
    /// uninterrupted one did.
    /// </summary>
    private static void KillDuringWrite(string @base, string[] command, params string[] points)
    {
        string before = State(@base);
        string reference = Copy(@base);
        var run = InProcessSkald.Capture([.. command.Select(a => a == "{index}" ? reference : a)]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        string after = State(reference);
        Assert.NotEqual(before, after);
        foreach (string point in points)
        {
            string folder = Copy(@base);
            string[] args = [.. command.Select(a => a == "{index}" ? folder : a)];
            var psi = SkaldProcess.StartInfo(null, args);
            psi.Environment[PauseVariable] = point;
            using (var p = System.Diagnostics.Process.Start(psi)!)
            {
                var said = new System.Text.StringBuilder();
                try
                {
                    _ = p.StandardOutput.ReadToEndAsync(); // drained, so a full pipe never stops the run
                    string? line; // the pause's line, or the end of stderr when the run ended without reaching the point
                    while ((line = p.StandardError.ReadLine()) is not null && line != PausedLine + point) said.AppendLine(line);
                    Assert.True(line is not null, $"{point}: the write never stopped there; {said}");
                    p.Kill(); // SIGKILL, from outside: the writer is stopped at the point
                }
                finally
                {
                    if (!p.HasExited) p.Kill();
                    p.WaitForExit();
                }
                Assert.True(p.ExitCode == Killed, $"{point}: exit {p.ExitCode}, expected a kill; {said}");
            }
            string state = State(folder);
            Assert.True(state == before || state == after, $"killed at {point}: the index is neither the old one nor the new one: {state}");
            if (state == before)
            {
                var again = InProcessSkald.Capture(args);
                Assert.True(again.ExitCode == 0, $"{point}: the run after the kill failed: {again.Stderr}");
                Assert.True(State(folder) == after, $"{point}: the run after the kill ended elsewhere than an uninterrupted one");
                Assert.Empty(Leftovers(folder));
            }
        }
    }

    /// <summary>An HNSW add killed from outside at each step of its write: the graph half linked, the staging folder empty, half written, whole, the old folder moved aside, the new one in.</summary>
    [Fact]
    public void AnHnswAddKilledFromOutsideAtEachStepOfItsWriteLeavesTheOldOrTheNewIndex() =>
        KillDuringWrite(Build("--hnsw", "4"), Add(Extra()), "linking", "staging", "rows", "staged", "aside", "swapped");

    private static string[] Add(string extra) => ["index", "add", "--index", "{index}", "--documents", extra, "-q"];

    [Fact]
    public void AnAddKilledAnywhereLeavesTheOldOrTheNewExactIndex() =>
        KillAt(Build(), Add(Extra()), "rows", "staged", "aside", "swapped");

    [Fact]
    public void AnAddKilledAnywhereLeavesTheOldOrTheNewHnswIndex() =>
        KillAt(Build("--hnsw", "4"), Add(Extra()), "linking", "rows", "staged", "aside", "swapped");

    [Fact]
    public void AnAddKilledAnywhereLeavesTheOldOrTheNewIvfIndex() =>
        KillAt(Build("--ivf-lists", "4"), Add(Extra()), "rows", "staged", "aside");

    [Fact]
    public void AnAddKilledAnywhereLeavesTheOldOrTheNewPqIndex() =>
        KillAt(Build("--pq", "8"), Add(Extra()), "rows", "staged", "aside");

    /// <summary>
    /// <c>index add --sync</c> of a documents folder edited since the build (a file changed, one deleted, one new),
    /// killed at each point: the old index or the synced one, and the sync run again ends where an uninterrupted one does.
    /// </summary>
    [Fact]
    public void ASyncKilledAnywhereLeavesTheOldOrTheSyncedIndex()
    {
        string docs = TestPaths.CopyFolder(Documents, Path.Combine(TestPaths.NewTempDir(), "docs"));
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture(["index", "build", "--model", Model, "--documents", docs, "--output", folder, "--language", "nb", "-q"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        File.AppendAllText(Path.Combine(docs, "ferie.md"), "\n\nFerie for sommeren søkes innen 1. mars.\n");
        File.Delete(Path.Combine(docs, "kaffe.md"));
        File.Copy(Extra(), Path.Combine(docs, "sykkelbod.txt"));
        Settled(docs);
        KillAt(folder, ["index", "add", "--index", "{index}", "--documents", docs, "--sync", "-q"], "rows", "staged", "aside", "swapped");
    }

    [Fact]
    public void ABuildOverAnIndexKilledAnywhereLeavesTheOldOrTheNewOne() =>
        KillAt(Build(), ["index", "build", "--model", Model, "--documents", Documents, "--output", "{index}", "--hnsw", "4", "--language", "nb", "-q"],
            "linking", "rows", "staged", "aside", "swapped");

    [Fact]
    public void AReindexKilledAnywhereLeavesTheOldOrTheNewLayout() =>
        KillAt(Build(), ["index", "reindex", "--index", "{index}", "--hnsw", "4", "-q"], "linking", "staged", "aside", "swapped");

    [Fact]
    public void ADeleteKilledBeforeItsRenameLeavesTheOldTombstones() =>
        KillAt(Build("--hnsw", "4"), ["index", "delete", "--index", "{index}", "--source", Path.Combine(Documents, "kaffe.md"), "-q"], "tombstones");

    [Fact]
    public void AColbertAddKilledAnywhereLeavesTheOldOrTheNewIndex() =>
        KillAt(BuildWith(ColbertModel), Add(Extra()), "rows", "staged", "aside", "swapped");

    [Fact]
    public void AnInt8ColbertAddKilledAnywhereLeavesTheOldOrTheNewIndex() =>
        KillAt(BuildWith(ColbertModel, "--precision", "int8"), Add(Extra()), "rows", "staged", "aside");

    [Fact]
    public void APlaidColbertAddKilledAnywhereLeavesTheOldOrTheNewIndex() =>
        KillAt(BuildWith(ColbertModel, "--plaid", "--plaid-centroids", "8"), Add(Extra()), "rows", "staged", "aside");

    [Fact]
    public void APlaidColbertReindexWithAModelKilledAnywhereLeavesTheOldOrTheNewIndex() =>
        KillAt(BuildWith(ColbertModel, "--plaid", "--plaid-centroids", "8"), ["index", "reindex", "--index", "{index}", "--model", ColbertModel, "-q"],
            "rows", "staged", "aside", "swapped");

    [Fact]
    public void AColbertBuildOverAnIndexKilledAnywhereLeavesTheOldOrTheNewOne() =>
        KillAt(BuildWith(ColbertModel), ["index", "build", "--model", ColbertModel, "--documents", Documents, "--output", "{index}", "--chunk-tokens", "16", "--language", "nb", "-q"],
            "rows", "staged", "aside", "swapped");

    [Fact]
    public void ABgeM3AddKilledAnywhereLeavesTheOldOrTheNewIndex() =>
        KillAt(BuildWith(BgeM3Model, "--bge-m3", "all"), Add(Extra()), "postings", "rows", "staged", "aside", "swapped");

    [Fact]
    public void APlaidBgeM3AddKilledAnywhereLeavesTheOldOrTheNewIndex() =>
        KillAt(BuildWith(BgeM3Model, "--bge-m3", "all", "--plaid", "--plaid-centroids", "8"), Add(Extra()), "postings", "rows", "staged", "aside");

    [Fact]
    public void APlaidBgeM3ReindexWithAModelKilledAnywhereLeavesTheOldOrTheNewIndex() =>
        KillAt(BuildWith(BgeM3Model, "--bge-m3", "all", "--plaid", "--plaid-centroids", "8"), ["index", "reindex", "--index", "{index}", "--model", BgeM3Model, "-q"],
            "postings", "rows", "staged", "aside", "swapped");

    [Fact]
    public void ABgeM3BuildOverAnIndexKilledAnywhereLeavesTheOldOrTheNewOne() =>
        KillAt(BuildWith(BgeM3Model, "--bge-m3", "all"), ["index", "build", "--model", BgeM3Model, "--bge-m3", "sparse", "--documents", Documents, "--output", "{index}", "--language", "nb", "-q"],
            "postings", "rows", "staged", "aside", "swapped");

    [Fact]
    public void ABgeM3DeleteKilledBeforeItsRenameLeavesTheOldTombstones() =>
        KillAt(BuildWith(BgeM3Model, "--bge-m3", "all"), ["index", "delete", "--index", "{index}", "--source", Path.Combine(Documents, "kaffe.md"), "-q"], "tombstones");

    [Fact]
    public void ASparseAddKilledAnywhereLeavesTheOldOrTheNewIndex() =>
        KillAt(BuildWith(SparseModel), Add(Extra()), "postings", "rows", "staged", "aside", "swapped");

    /// <summary>A sparse add killed from outside at each step of its write (its rows staged before its postings among them).</summary>
    [Fact]
    public void ASparseAddKilledFromOutsideAtEachStepOfItsWriteLeavesTheOldOrTheNewIndex() =>
        KillDuringWrite(BuildWith(SparseModel), Add(Extra()), "staging", "postings", "rows", "staged", "aside", "swapped");

    /// <summary>A delete killed from outside with its new tombstones written beside the old ones, not yet renamed over them.</summary>
    [Fact]
    public void ADeleteKilledFromOutsideBeforeItsRenameLeavesTheOldTombstones() =>
        KillDuringWrite(Build("--hnsw", "4"), ["index", "delete", "--index", "{index}", "--source", Path.Combine(Documents, "kaffe.md"), "-q"], "tombstones");

    [Fact]
    public void ASparseBuildOverAnIndexKilledAnywhereLeavesTheOldOrTheNewOne() =>
        KillAt(BuildWith(SparseModel), ["index", "build", "--model", SparseModel, "--documents", Documents, "--output", "{index}", "--max-active-dims", "16", "--language", "nb", "-q"],
            "postings", "rows", "staged", "aside", "swapped");

    [Fact]
    public void ASparseDeleteKilledBeforeItsRenameLeavesTheOldTombstones() =>
        KillAt(BuildWith(SparseModel), ["index", "delete", "--index", "{index}", "--source", Path.Combine(Documents, "kaffe.md"), "-q"], "tombstones");

    /// <summary>
    /// An HNSW add that replaces a document keeps its old rows as tombstones and links the new ones into the saved
    /// graph: killed while linking or at any step of the write, the graph, rows and tombstones stay of one write.
    /// </summary>
    [Fact]
    public void AnHnswAddReplacingADocumentKilledAnywhereKeepsGraphRowsAndTombstonesTogether()
    {
        string docs = TestPaths.CopyFolder(Documents, Path.Combine(TestPaths.NewTempDir(), "docs"));
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        var r = InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", folder, "--hnsw", "4", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string changed = Path.Combine(docs, "sykkel.txt");
        File.AppendAllText(changed, "\nSykkelboden er åpen hele døgnet.\n");
        Settled(changed);
        KillAt(folder, ["index", "add", "--index", "{index}", "--documents", changed, "-q"], "linking", "rows", "staged", "aside", "swapped");
    }

    /// <summary>
    /// A writer killed between its two renames whose process id was given to another process since (here: this test's
    /// own, a running process): <c>index info</c> puts the old index back all the same, and an <c>index add</c> then
    /// ends as on an index never cut, no leftovers beside it.
    /// </summary>
    [Fact]
    public void AnIndexMovedAsideByAKilledWriterWhoseIdNowRunsComesBack()
    {
        string folder = BuildNew(Model); // moved and written in place: not the shared one
        string before = State(folder);
        string parent = Path.GetDirectoryName(folder)!;
        Directory.Move(folder, Path.Combine(parent, $".old-idx-{Environment.ProcessId}"));
        Directory.CreateDirectory(Path.Combine(parent, $".tmp-idx-{Environment.ProcessId}"));
        var info = SkaldProcess.Run("index", "info", "--index", folder);
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Equal(before, State(folder));
        Directory.CreateDirectory(Path.Combine(parent, $".tmp-idx-{Environment.ProcessId}"));
        var add = SkaldProcess.Run([.. Add(Extra()).Select(a => a == "{index}" ? folder : a)]);
        Assert.True(add.ExitCode == 0, add.Stderr);
        Assert.Empty(Leftovers(folder));
        Assert.Equal(["idx"], Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName));
    }
}
