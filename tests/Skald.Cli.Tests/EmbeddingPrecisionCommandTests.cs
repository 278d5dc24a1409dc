using System.Text.Json;
using Skald.Retrieval.Quantization;
using Skald.Tests;

namespace Skald.Cli.Tests;

/// <summary><c>--precision</c> on encode and evaluate: quantized files as numpy reads them, calibration ranges, errors.</summary>
public sealed class EmbeddingPrecisionCommandTests
{
    private static readonly string Model = TestPaths.FixtureModel("bert-cased-mean");

    private static string Texts()
    {
        string path = Path.Combine(TestPaths.NewTempDir(), "texts.txt");
        File.WriteAllText(path, "Fjorden ligg stille.\nBussen går 07:45 frå kaia.\nLegekontoret ligger i sentrum.\nHvor ligger apoteket?\n");
        return path;
    }

    /// <summary>The data of a 2-D .npy file: dtype, shape and raw bytes (header parsed by hand).</summary>
    private static (string Descr, int Rows, int Cols, byte[] Data) ReadNpy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int length = BitConverter.ToUInt16(bytes, 8);
        string header = System.Text.Encoding.ASCII.GetString(bytes, 10, length);
        string descr = header.Split("'descr': '")[1].Split('\'')[0];
        var shape = header.Split("'shape': (")[1].Split(')')[0].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return (descr, int.Parse(shape[0]), int.Parse(shape[1]), bytes[(10 + length)..]);
    }

    private static float[][] Floats(string npy)
    {
        var (descr, rows, cols, data) = ReadNpy(npy);
        Assert.Equal("<f4", descr);
        return [.. Enumerable.Range(0, rows).Select(r => Enumerable.Range(0, cols).Select(c => BitConverter.ToSingle(data, (r * cols + c) * 4)).ToArray())];
    }

    [Theory]
    [InlineData("int8", "|i1", 32)]
    [InlineData("uint8", "|u1", 32)]
    [InlineData("binary", "|i1", 4)]
    [InlineData("ubinary", "|u1", 4)]
    public void EncodeWritesTheQuantizedEmbeddingsOfTheFloatOnes(string precision, string descr, int width)
    {
        string texts = Texts(), dir = TestPaths.NewTempDir();
        var f = InProcessSkald.Capture("encode", "--model", Model, "--input", texts, "--output", Path.Combine(dir, "f.npy"), "--normalize", "-q");
        Assert.True(f.ExitCode == 0, f.Stderr);
        var floats = Floats(Path.Combine(dir, "f.npy"));
        string output = Path.Combine(dir, "q.npy");
        var r = InProcessSkald.Capture("encode", "--model", Model, "--input", texts, "--output", output, "--normalize", "--precision", precision);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var (d, rows, cols, data) = ReadNpy(output);
        Assert.Equal((descr, 4, width), (d, rows, cols));
        var format = EmbeddingQuantizer.Parse(precision);
        var expected = EmbeddingQuantizer.Quantize(floats, format, EmbeddingQuantizer.NeedsRanges(format) ? QuantizationRanges.FromEmbeddings(floats) : null);
        Assert.Equal(expected.Data, data);
        Assert.Equal(EmbeddingQuantizer.NeedsRanges(format), File.Exists(Path.Combine(dir, "q.ranges.npy")));
        if (!EmbeddingQuantizer.NeedsRanges(format)) return;
        Assert.Contains("q.ranges.npy", r.Stderr + r.Stdout);
        var ranges = Floats(Path.Combine(dir, "q.ranges.npy"));
        Assert.Equal(expected.Ranges!.Minima, ranges[0]);
        Assert.Equal(expected.Ranges.Maxima, ranges[1]);

        // Queries quantized with the corpus's ranges: the first text alone, the same bytes as its row above.
        string one = Path.Combine(dir, "one.txt");
        File.WriteAllText(one, "Fjorden ligg stille.\n");
        var again = InProcessSkald.Capture("encode", "--model", Model, "--input", one, "--output", Path.Combine(dir, "one.jsonl"), "--normalize",
            "--precision", precision, "--ranges", Path.Combine(dir, "q.ranges.npy"), "-q");
        Assert.True(again.ExitCode == 0, again.Stderr);
        var values = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "one.jsonl"))).RootElement.EnumerateArray().Select(v => v.GetInt32()).ToArray();
        Assert.Equal(expected.Row(0).ToArray().Select(b => precision == "int8" ? (int)(sbyte)b : b), values);
        Assert.False(File.Exists(Path.Combine(dir, "one.ranges.npy")));
    }

    [Fact]
    public void BadRangesAndMisplacedOptionsGetOneLine()
    {
        string texts = Texts(), dir = TestPaths.NewTempDir();
        string bad = Path.Combine(dir, "bad.npy");
        File.WriteAllText(bad, "not numpy");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Model, "--input", texts, "--output", Path.Combine(dir, "o.npy"),
            "--precision", "int8", "--ranges", bad), 1, "bad.npy", "not a .npy file");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Model, "--input", texts, "--output", Path.Combine(dir, "o.npy"),
            "--ranges", bad), 2, "--ranges applies with --precision int8|uint8");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Model, "--input", texts, "--output", Path.Combine(dir, "o.npy"),
            "--precision", "int4"), 2, "--precision");
        // ranges of another width
        var f = InProcessSkald.Capture("encode", "--model", Model, "--input", texts, "--output", Path.Combine(dir, "u.npy"), "--precision", "uint8", "-q");
        Assert.True(f.ExitCode == 0, f.Stderr);
        var wrong = File.ReadAllBytes(Path.Combine(dir, "u.ranges.npy"));
        string wrongPath = Path.Combine(dir, "wrong.npy");
        File.WriteAllBytes(wrongPath, wrong[..^8]);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Model, "--input", texts, "--output", Path.Combine(dir, "o.npy"),
            "--precision", "int8", "--ranges", wrongPath), 1, "wrong.npy", "bytes of data");
    }

    [Theory]
    [InlineData(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 32), }", "shape (99999999999, 32) is not two whole numbers")]
    [InlineData(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (64,), }", "an array of shape (64,), expected a 2-D one")]
    [InlineData(2, null, "the .npy header runs past the end of the file")] // version 2: a 4-byte header length of 2^32 - 16
    [InlineData(3, "", "the .npy header runs past the end of the file")] // version 3 cut off inside its header length
    [InlineData(9, "", ".npy format version 9, expected 1, 2 or 3")]
    public void RangesWithAHostileNpyHeaderGetOneLine(int version, string? header, string message)
    {
        string dir = TestPaths.NewTempDir(), ranges = Path.Combine(dir, "ranges.npy");
        byte[] magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0];
        byte[] bytes = header switch
        {
            null => [.. magic, 0xF0, 0xFF, 0xFF, 0xFF, (byte)'{', (byte)'}'],
            "" => [.. magic, 0x10, 0x00],
            _ => [.. magic, .. BitConverter.GetBytes((ushort)(header.Length + 1)), .. System.Text.Encoding.ASCII.GetBytes(header + "\n")],
        };
        File.WriteAllBytes(ranges, bytes);
        string output = Path.Combine(dir, "o.npy");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("encode", "--model", Model, "--input", Texts(), "--output", output,
            "--precision", "int8", "--ranges", ranges), 1, ranges + ": " + message);
        Assert.False(File.Exists(output));
    }

    private static string Task() => BeirFolder.Write(
        "{\"_id\": \"d0\", \"text\": \"Fjorden ligg stille om morgonen.\"}\n{\"_id\": \"d1\", \"text\": \"Bussen går 07:45 frå kaia.\"}\n" +
        "{\"_id\": \"d2\", \"text\": \"Legekontoret ligger i sentrum.\"}\n{\"_id\": \"d3\", \"text\": \"Apoteket stenger klokka fire.\"}\n",
        "{\"_id\": \"q1\", \"text\": \"Når går bussen?\"}\n{\"_id\": \"q2\", \"text\": \"Hvor er legekontoret?\"}\n",
        "query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n");

    /// <summary>
    /// A model folder whose similarity_fn_name is euclidean or manhattan is searched by its distance under --precision
    /// and --pq (the metadata names it); what keeps no distance is one line and exit code 1.
    /// </summary>
    [Fact]
    public void EvaluateRanksADistanceModelsQuantizedRowsByItsDistanceOrRefusesInOneLine()
    {
        string task = Task(), euclidean = TestPaths.CopyOfFixtureModel("bert-cased-mean", "euclidean");
        var r = InProcessSkald.Capture("evaluate", "--model", euclidean, "--task", task, "--precision", "int8", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.StartsWith("exact top-k, euclidean (of the int8 rows dequantized", JsonDocument.Parse(r.Stdout).RootElement.GetProperty("metadata").GetProperty("model.search").GetString());
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", euclidean, "--task", task, "--precision", "binary", "--rescore-quantized"),
            1, "--rescore-quantized with --precision binary: sign bits hold no euclidean distance");
        string manhattan = TestPaths.CopyOfFixtureModel("bert-cased-mean", "manhattan");
        var pq = InProcessSkald.Capture("evaluate", "--model", manhattan, "--task", task, "--pq", "8", "--pq-bits", "2", "-q");
        Assert.True(pq.ExitCode == 0, pq.Stderr);
        Assert.StartsWith("exact top-k, manhattan (of the PQ codes' reconstructions, by distance tables)", JsonDocument.Parse(pq.Stdout).RootElement.GetProperty("metadata").GetProperty("model.search").GetString());
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", manhattan, "--task", task, "--pq", "8", "--pq-bits", "2", "--opq"),
            1, "--opq: an OPQ rotation does not keep Manhattan distances");
    }

    [Fact]
    public void EvaluateSearchesQuantizedEmbeddingsAndSaysSo()
    {
        string task = Task();
        var r = InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--precision", "ubinary", "--rescore-multiplier", "3", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        var meta = JsonDocument.Parse(r.Stdout).RootElement.GetProperty("metadata");
        Assert.Contains("ubinary, top 10 rescored from the best 30", meta.GetProperty("model.search").GetString());
        var hybrid = InProcessSkald.Capture("evaluate", "--model", "hybrid:" + Model, "--task", task, "--precision", "int8", "-q");
        Assert.True(hybrid.ExitCode == 0, hybrid.Stderr);

        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", "bm25", "--task", task, "--precision", "binary"), 2, "not to bm25");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--rescore-multiplier", "4"), 2, "--rescore-multiplier");
    }

    [Fact]
    public void ServeRefusesRangesOfAnotherWidthOrADamagedFile()
    {
        string dir = TestPaths.NewTempDir(), texts = Path.Combine(dir, "t.txt");
        File.WriteAllText(texts, "Fjorden ligg stille.\nBussen går 07:45.\nApoteket stenger klokka fire.\n");
        var wide = InProcessSkald.Capture("encode", "--model", TestPaths.FixtureModel("decoder-qwen2"), "--input", texts, "--output", Path.Combine(dir, "q.npy"),
            "--precision", "int8", "-q");
        Assert.True(wide.ExitCode == 0, wide.Stderr);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("serve", "--model", Model, "--port", "0", "--ranges", Path.Combine(dir, "q.ranges.npy")), 1,
            "q.ranges.npy", "ranges must be [2, 32]");
        File.WriteAllBytes(Path.Combine(dir, "bad.npy"), File.ReadAllBytes(Path.Combine(dir, "q.ranges.npy"))[..40]);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("serve", "--model", Model, "--port", "0", "--ranges", Path.Combine(dir, "bad.npy")), 1, "bad.npy");
    }

    [Fact]
    public void EvaluateSearchesAsAnIvfIndexAndSaysSo()
    {
        string task = Task();
        double Score(params string[] extra)
        {
            var r = InProcessSkald.Capture(["evaluate", "--model", Model, "--task", task, "-q", .. extra]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return JsonDocument.Parse(r.Stdout).RootElement.GetProperty("main_score").GetDouble();
        }
        Assert.Equal(Score(), Score("--ivf-lists", "2", "--ivf-probes", "2")); // every list probed: exact
        var one = InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--ivf-lists", "2", "--ivf-probes", "1", "--precision", "int8", "-q");
        Assert.True(one.ExitCode == 0, one.Stderr);
        Assert.Contains("IVF top-k (2 lists, 1 probed), cosine, int8", JsonDocument.Parse(one.Stdout).RootElement.GetProperty("metadata").GetProperty("model.search").GetString());
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--ivf-probes", "1"), 2, "--ivf-probes needs --ivf-lists");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", "bm25", "--task", task, "--ivf-lists", "2"), 2, "not to bm25");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--ivf-lists", "0"), 2, "--ivf-lists");
    }

    private static JsonElement Search(string folder, string mode, params string[] extra)
    {
        var r = InProcessSkald.Capture(["search", "--index", folder, "--query", "Hvor kan jeg parkere sykkelen?", "--mode", mode, "--top-k", "5", "--format", "json", .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return JsonDocument.Parse(r.Stdout).RootElement.GetProperty("results");
    }

    private static string[] Options(string? precision, string[] extra) =>
        precision is null ? ["--language", "nb", .. extra] : ["--language", "nb", .. extra, "--precision", precision];

    // The shared index of the sample documents built with these options (read only).
    private static string BuildIndex(string? precision, params string[] extra) => SampleDocuments.Index(InProcessSkald.Capture, Model, Options(precision, extra));

    // A copy of it, the test's own to change.
    private static string CopyOfIndex(string? precision, params string[] extra) => SampleDocuments.CopyOfIndex(InProcessSkald.Capture, Model, Options(precision, extra));

    [Fact]
    public void ABinaryIndexSearchesItsBitsAndRescoresWithTheFloatRows()
    {
        string plain = BuildIndex(null), bits = BuildIndex("ubinary");
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(bits, "index.json"))).RootElement;
        Assert.Equal("ubinary", manifest.GetProperty("precision").GetString());
        int rows = manifest.GetProperty("rows").GetInt32();
        Assert.Equal(rows * 4L, new FileInfo(Path.Combine(bits, "embeddings.q")).Length); // 32 dimensions: 4 bytes a row
        Assert.False(File.Exists(Path.Combine(plain, "embeddings.q")));

        // Rescoring at least every row with its float embedding is exact search: the float index's answer.
        var exact = Search(plain, "dense");
        var rescored = Search(bits, "dense", "--rescore-multiplier", rows.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(exact.EnumerateArray().Select(h => h.GetProperty("id").GetString()), rescored.EnumerateArray().Select(h => h.GetProperty("id").GetString()));
        foreach (var (e, q) in exact.EnumerateArray().Zip(rescored.EnumerateArray()))
            Assert.Equal(e.GetProperty("score").GetSingle(), q.GetProperty("score").GetSingle(), 5); // the same dot, summed in another order
        // Without rescoring the scores are the bits' ±1 dot products: whole numbers of the same parity as 32, at most 32.
        foreach (var h in Search(bits, "dense", "--rescore-multiplier", "0").EnumerateArray())
        {
            float score = h.GetProperty("score").GetSingle();
            Assert.True(score == MathF.Round(score) && score <= 32 && ((int)score & 1) == 0, $"score {score}");
        }
        Assert.Equal(5, Search(bits, "hybrid").GetArrayLength());
    }

    [Fact]
    public void AnInt8IndexKeepsItsRangesWhenDocumentsAreAdded()
    {
        string folder = CopyOfIndex("int8");
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement;
        var min = manifest.GetProperty("quantization_min").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        Assert.Equal(32, min.Length);
        string extra = TestPaths.NewTempDir();
        File.WriteAllText(Path.Combine(extra, "ny.txt"), "Sykkelparkeringen ligger bak stasjonen. Den er åpen hele døgnet.");
        var add = InProcessSkald.Capture("index", "add", "--index", folder, "--documents", extra, "-q");
        Assert.True(add.ExitCode == 0, add.Stderr);
        var after = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "index.json"))).RootElement;
        Assert.Equal("int8", after.GetProperty("precision").GetString());
        Assert.Equal(min, after.GetProperty("quantization_min").EnumerateArray().Select(v => v.GetSingle()));
        Assert.Equal(after.GetProperty("rows").GetInt32() * 32L, new FileInfo(Path.Combine(folder, "embeddings.q")).Length);
        Assert.Equal(5, Search(folder, "dense").GetArrayLength());

        File.WriteAllBytes(Path.Combine(folder, "embeddings.q"), new byte[3]);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", folder, "--query", "sykkel", "--mode", "dense"), 1, "embeddings.q", "need");
    }

    [Fact]
    public void AProductQuantizedIndexSearchesItsCodesAndEvaluateSaysSo()
    {
        string plain = BuildIndex(null), pq = CopyOfIndex(null, "--pq", "8");
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(pq, "index.json"))).RootElement;
        Assert.Equal(8, manifest.GetProperty("pq_subspaces").GetInt32());
        int rows = manifest.GetProperty("rows").GetInt32();
        // 32 dimensions in 8 sub-vectors; a corpus this small trains min(256, rows) centroids a sub-vector, whose codes are
        // stored packed at ceil(log2 K) bits: ceil(8 · bits / 8) bytes a row
        int bits = (int)Math.Ceiling(Math.Log2(Math.Min(256, rows)));
        Assert.Equal(rows * (long)Math.Ceiling(8 * bits / 8.0), new FileInfo(Path.Combine(pq, "embeddings.pq")).Length);
        Assert.True(File.Exists(Path.Combine(pq, "pq.bin")));
        var exact = Search(plain, "dense");
        var rescored = Search(pq, "dense", "--rescore-multiplier", rows.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(exact.EnumerateArray().Select(h => h.GetProperty("id").GetString()), rescored.EnumerateArray().Select(h => h.GetProperty("id").GetString()));
        var info = InProcessSkald.Capture("index", "info", "--index", pq, "--format", "json");
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Equal(8, JsonDocument.Parse(info.Stdout).RootElement.GetProperty("pq_subspaces").GetInt32());

        string task = Task();
        var r = InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--pq", "8", "--rescore-multiplier", "3", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("PQ 8 × 8 bits, top 10 rescored from the best 30", JsonDocument.Parse(r.Stdout).RootElement.GetProperty("metadata").GetProperty("model.search").GetString());

        string docs = SampleDocuments.Folder, output = Path.Combine(TestPaths.NewTempDir(), "idx");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", output, "--pq", "5"), 1, "divisor");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", output, "--pq", "8", "--precision", "int8"), 2, "choose one");
        string graph = BuildIndex(null, "--pq", "8", "--hnsw", "8");
        Assert.Equal(exact.EnumerateArray().Select(h => h.GetProperty("id").GetString()),
            Search(graph, "dense", "--rescore-multiplier", rows.ToString(System.Globalization.CultureInfo.InvariantCulture), "--ef", "100")
                .EnumerateArray().Select(h => h.GetProperty("id").GetString()));
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", "bm25", "--task", task, "--pq", "8"), 2, "--pq applies to embedding models");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--pq", "8", "--rescore-quantized"), 2, "--rescore-quantized");
        File.WriteAllBytes(Path.Combine(pq, "embeddings.pq"), new byte[5]);
        SkaldProcess.AssertUserError(InProcessSkald.Capture("search", "--index", pq, "--query", "sykkel", "--mode", "dense"), 1, "embeddings.pq");
    }

    [Fact]
    public void FourBitCodesAreTrainedOnSixteenCentroidsStoredPackedAndRescoredToTheExactHits()
    {
        string plain = BuildIndex(null), pq = BuildIndex(null, "--pq", "8", "--pq-bits", "4");
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(pq, "index.json"))).RootElement;
        Assert.Equal(4, manifest.GetProperty("pq_bits").GetInt32());
        int rows = manifest.GetProperty("rows").GetInt32();
        var quantizer = ProductQuantizer.Read(Path.Combine(pq, "pq.bin"), 32);
        Assert.Equal(Math.Min(16, rows), quantizer.Centroids);
        Assert.Equal(rows * 4L, new FileInfo(Path.Combine(pq, "embeddings.pq")).Length); // 8 sub-vectors of 4 bits: 4 bytes a row
        string all = rows.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Search(plain, "dense").EnumerateArray().Select(h => h.GetProperty("id").GetString()),
            Search(pq, "dense", "--rescore-multiplier", all).EnumerateArray().Select(h => h.GetProperty("id").GetString()));
        var info = InProcessSkald.Capture("index", "info", "--index", pq, "--format", "json");
        Assert.Equal(4, JsonDocument.Parse(info.Stdout).RootElement.GetProperty("pq_bits").GetInt32());
        Assert.StartsWith("fast scan", JsonDocument.Parse(info.Stdout).RootElement.GetProperty("pq_search").GetString());

        string task = Task();
        var r = InProcessSkald.Capture("evaluate", "--model", Model, "--task", task, "--pq", "8", "--pq-bits", "4", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("PQ 8 × 4 bits", JsonDocument.Parse(r.Stdout).RootElement.GetProperty("metadata").GetProperty("model.search").GetString());
        string docs = SampleDocuments.Folder, output = Path.Combine(TestPaths.NewTempDir(), "idx");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", output, "--pq", "8", "--pq-bits", "9"), 2, "--pq-bits 9", "1 to 8");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", output, "--pq-bits", "4"), 2, "--pq-bits applies with --pq");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void OpqTrainsARotationThatTheIndexKeepsAndReports()
    {
        string plain = BuildIndex(null), opq = BuildIndex(null, "--pq", "8", "--pq-bits", "4", "--opq");
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(opq, "index.json"))).RootElement;
        Assert.True(manifest.GetProperty("pq_rotated").GetBoolean());
        var quantizer = ProductQuantizer.Read(Path.Combine(opq, "pq.bin"), 32);
        Assert.True(quantizer.Rotated);
        string all = manifest.GetProperty("rows").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Search(plain, "dense").EnumerateArray().Select(h => h.GetProperty("id").GetString()),
            Search(opq, "dense", "--rescore-multiplier", all).EnumerateArray().Select(h => h.GetProperty("id").GetString()));
        var info = JsonDocument.Parse(InProcessSkald.Capture("index", "info", "--index", opq, "--format", "json").Stdout).RootElement;
        Assert.StartsWith("OPQ", info.GetProperty("pq_rotation").GetString());

        var r = InProcessSkald.Capture("evaluate", "--model", Model, "--task", Task(), "--pq", "8", "--opq", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("PQ 8 × 8 bits, OPQ", JsonDocument.Parse(r.Stdout).RootElement.GetProperty("metadata").GetProperty("model.search").GetString());
        string docs = SampleDocuments.Folder, output = Path.Combine(TestPaths.NewTempDir(), "idx");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", output, "--opq"), 2, "--opq applies with --pq");
        Assert.False(Directory.Exists(output));
    }

    [Fact]
    public void OpqDimMapsTheRowsToAnotherWidthThatBuildReindexAndEvaluateKeep()
    {
        string plain = BuildIndex(null), opq = CopyOfIndex(null, "--pq", "8", "--pq-bits", "4", "--opq", "--opq-dim", "16");
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(opq, "index.json"))).RootElement;
        Assert.Equal(16, manifest.GetProperty("pq_rotated_dim").GetInt32());
        Assert.Equal(16, ProductQuantizer.Read(Path.Combine(opq, "pq.bin"), 32).CodeDimension);
        var info = JsonDocument.Parse(InProcessSkald.Capture("index", "info", "--index", opq, "--format", "json").Stdout).RootElement;
        Assert.StartsWith("OPQ to 16-d", info.GetProperty("pq_rotation").GetString());
        string all = manifest.GetProperty("rows").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(Search(plain, "dense").EnumerateArray().Select(h => h.GetProperty("id").GetString()),
            Search(opq, "dense", "--rescore-multiplier", all).EnumerateArray().Select(h => h.GetProperty("id").GetString()));

        var r = InProcessSkald.Capture("index", "reindex", "--index", opq, "--pq", "8", "--opq", "--opq-dim", "24", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(24, JsonDocument.Parse(File.ReadAllText(Path.Combine(opq, "index.json"))).RootElement.GetProperty("pq_rotated_dim").GetInt32());
        Assert.Equal(24, ProductQuantizer.Read(Path.Combine(opq, "pq.bin"), 32).CodeDimension);

        r = InProcessSkald.Capture("evaluate", "--model", Model, "--task", Task(), "--pq", "8", "--opq", "--opq-dim", "16", "-q");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("PQ 8 × 8 bits, OPQ to 16-d", JsonDocument.Parse(r.Stdout).RootElement.GetProperty("metadata").GetProperty("model.search").GetString());
        string docs = SampleDocuments.Folder, output = Path.Combine(TestPaths.NewTempDir(), "idx");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", output, "--pq", "8", "--opq-dim", "16"),
            2, "--opq-dim 16 applies with --opq");
        SkaldProcess.AssertUserError(InProcessSkald.Capture("index", "build", "--model", Model, "--documents", docs, "--output", output, "--pq", "8", "--opq", "--opq-dim", "12"),
            1, "OPQ's 12 output dimensions do not split into 8");
        Assert.False(Directory.Exists(output));
    }
}
