using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Distributed;
using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Retrieval.Quantization;
using Skald.Tensors;
using Counted = Skald.Tokenizers.Serialization.Counted;

namespace Skald.Cli.Commands;

/// <summary><c>skald encode</c>: texts in, embeddings out.</summary>
internal sealed class EncodeCommand : Command
{
    private readonly Option<string> model = CliOptions.Text("--model", "Model folder (sentence-transformers or plain Hugging Face), or a hub id org/name[@revision] (downloaded to the Hugging Face cache)", "DIR|ID", required: true);
    private readonly Option<string> input = CliOptions.Text("--input", "Texts: .txt (one per line) or .jsonl (a \"text\" field per line)", "FILE", required: true);
    private readonly Option<string> output = CliOptions.Text("--output", "Embeddings: .jsonl (one JSON array per line; a sparse encoder's as {indices, values, tokens}) or .npy (float32 [N, D])", "FILE", required: true);
    private readonly Option<int?> batchSize = CliOptions.Int("--batch-size", "Texts per forward pass", defaultValue: 32);
    private readonly Option<int?> maxLength = CliOptions.Int("--max-length", "Truncate texts to N tokens (default: the model's max_seq_length)");
    private readonly Option<string> promptName = CliOptions.Text("--prompt-name", "Prepend the model's prompt of this name (config_sentence_transformers.json)", "NAME");
    private readonly Option<string> prompt = CliOptions.Text("--prompt", "Prepend this text to every input (e.g. \"query: \")", "TEXT");
    private readonly Option<string> instruction = CliOptions.Text("--instruction",
        "LLM2Vec models: the instruction paired with every input (give it to queries); attended to, left out of pooling", "TEXT");
    private readonly Option<bool> normalize = CliOptions.Flag("--normalize", "Scale every embedding to unit length");
    private readonly Option<string> weights = CliOptions.Choice("--weights",
        "How the model's weight matrices are held in memory: f32, or bf16 / f16 (half the memory, computed in float32; f16 keeps F16 checkpoints exactly; checkpoints stored wider are rounded, adapters merged in float32 then rounded)",
        "f32", "f32", "bf16", "f16");
    private readonly Option<string> quantize = QuantizeOption.Create();
    private readonly Option<string> float32Matmul = Float32MatmulOption.Create();
    private readonly PrecisionOptions precision = new("Embeddings: write them", rescoring: false, product: false);
    private readonly Option<string> ranges = CliOptions.Text("--ranges",
        "--precision int8/uint8: calibration ranges, float32 [2, D] .npy (minima, then maxima: sentence-transformers' ranges; e.g. the NAME.ranges.npy written when the corpus was encoded); default: from the texts encoded, written beside the output as NAME.ranges.npy", "FILE");
    private readonly Option<string> route = CliOptions.Text("--route",
        "Router models: embed the texts on this route, query or document (sentence-transformers' encode_query / encode_document; default: the folder's default_route)", "query|document");
    private readonly Option<int?> maxActiveDims = CliOptions.Int("--max-active-dims",
        "Sparse encoders (SPLADE): keep each embedding's N largest weights (sentence-transformers' max_active_dims)");
    private readonly Option<int?> truncateDim = CliOptions.Int("--truncate-dim",
        "Keep the first N values of each embedding (sentence-transformers' truncate_dim, for Matryoshka models; with --normalize, normalised after the cut)");
    private readonly Option<string> adapters = CliOptions.Text("--adapters", "PEFT LoRA adapter folders merged into the model in order (e.g. LLM2Vec's MNTP, then supervised), comma-separated", "DIR[,DIR...]");
    private readonly Option<string> bgeM3 = CliOptions.OptionalChoice("--bge-m3",
        "BGE-M3 folders (sparse_linear.pt and colbert_linear.pt beside modules.json): write this output: dense (the default without the option), sparse (lexical weights as {indices, values, tokens}, .jsonl) colbert (a vector per token as {ids, tokens, vectors}, .jsonl) or all (the three from one pass as {dense, sparse, colbert}, .jsonl)",
        "dense", "sparse", "colbert", "all");

    public EncodeCommand() : base("encode", "Embed texts with a model: one embedding per input line, in input order")
    {
        Options.Add(model);
        Options.Add(input);
        Options.Add(output);
        Options.Add(batchSize);
        Options.Add(maxLength);
        Options.Add(promptName);
        Options.Add(prompt);
        Options.Add(instruction);
        Options.Add(normalize);
        Options.Add(adapters);
        Options.Add(weights);
        Options.Add(quantize);
        Options.Add(float32Matmul);
        foreach (var o in precision.All) Options.Add(o);
        Options.Add(ranges);
        Options.Add(maxActiveDims);
        Options.Add(truncateDim);
        Options.Add(route);
        Options.Add(bgeM3);
        CliOptions.AtMostOne(this, promptName, prompt);
        CliOptions.AtMostOne(this, promptName, instruction);
        CliOptions.AtMostOne(this, prompt, instruction);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        string outputPath = p.GetValue(output)!;
        bool quiet = p.GetValue(CliOptions.Quiet);
        // (a folder first: "adir: unsupported output type ''" named the folder's lack of an extension, not the mistake)
        if (Directory.Exists(outputPath)) AtomicFile.CheckWritable(outputPath);
        EmbeddingOutput.CheckExtension(outputPath);
        var format = precision.Of(p);
        if (p.GetValue(ranges) is not null && !EmbeddingQuantizer.NeedsRanges(format))
            throw new UsageException("--ranges applies with --precision int8|uint8");
        if (p.GetValue(ranges) is { } rangesFile && Directory.Exists(rangesFile)) throw new InputException($"--ranges {rangesFile}: is a folder; name the .npy file of ranges");
        OutputPath.NotAnInput(outputPath, p.GetValue(input));
        AtomicFile.CheckWritable(outputPath); // before the model loads and the texts encode, not after
        var texts = TextInput.Read(p.GetValue(input)!, allowBlank: false);
        var world = Cli.World;
        var shard = Shard.Of(texts.Count, world.Rank, world.Size); // under mpirun each rank embeds one block of the input
        var all = texts;
        if (world.Size > 1) texts = texts.Skip(shard.Start).Take(shard.Count).ToList();
        string folder = HubModels.Resolve(p.GetValue(model)!, quiet);
        var adapterFolders = EmbeddingAdapters.Resolve(p.GetValue(adapters), quiet, a => $"score pairs with skald rerank --model {a}");
        OutputPath.NotAFileOf("--output", outputPath, [folder, .. adapterFolders]);
        if (p.GetValue(bgeM3) is { } m3)
        {
            if (!BgeM3Encoder.IsBgeM3(folder))
                throw new UsageException($"--bge-m3 is for BGE-M3 folders ({folder} has no sparse_linear.pt or colbert_linear.pt)");
            if (m3 != "dense") return WriteBgeM3(p, folder, texts, all.Count, outputPath, m3, quiet);
        }
        using var encoder = SentenceEncoder.Load(folder, adapterFolders, InfoCommand.Precision(p.GetValue(weights)));
        Float32MatmulOption.Apply(encoder, p.GetValue(float32Matmul), quiet);
        QuantizeOption.Apply(encoder, p.GetValue(quantize), quiet);
        if (p.GetValue(route) is { } r && r is not ("query" or "document"))
            throw new UsageException($"--route must be query or document, not '{r}'");
        if (p.GetValue(route) is not null && encoder.Folder.DefaultRoute is null)
            throw new UsageException("--route is for Router models (a query route beside the document route); this model has one route");
        int? active = p.GetValue(maxActiveDims);
        if (active is not null && !encoder.IsSparse)
            throw new UsageException("--max-active-dims is for sparse encoders (SPLADE, CSR); this model's embeddings are dense");
        if (active is < 1) throw new UsageException("--max-active-dims must be at least 1");
        if (encoder.IsSparse && format != EmbeddingPrecision.Float32)
            throw new UsageException("--precision quantizes dense embeddings; a sparse encoder's are written as float32 (indices and values)");
        int width = p.GetValue(truncateDim) ?? encoder.Dimension;
        if (p.GetValue(truncateDim) is { } cut && (cut < 1 || cut > encoder.Dimension))
            throw new UsageException($"--truncate-dim must be in 1..{encoder.Dimension} (the model's dimension)");
        if (p.GetValue(truncateDim) is not null && encoder.IsSparse)
            throw new UsageException("--truncate-dim is for dense embeddings; a sparse encoder takes --max-active-dims");
        if (EmbeddingQuantizer.IsBinary(format) && width % 8 != 0) // before encoding anything
            throw new InputException($"--precision {EmbeddingQuantizer.Name(format)} packs 8 dimensions a byte; this model's {width} are not divisible by 8");
        int truncated = 0;
        var embeddings = ProgressView.Run("encoding", texts.Count >= 64, quiet, bar => encoder.Encode(texts, new EncodeOptions
        {
            TruncatedTexts = n => truncated = n,
            BatchSize = p.GetValue(batchSize) ?? 32,
            MaxLength = p.GetValue(maxLength),
            PromptName = p.GetValue(promptName),
            Prompt = p.GetValue(prompt),
            Instruction = p.GetValue(instruction),
            Normalize = p.GetValue(normalize),
            Route = p.GetValue(route),
            MaxActiveDims = active, // a CSR model keeps that many latents (a SPLADE model's are pruned below)
            TruncateDim = p.GetValue(truncateDim),
            Progress = (done, total) => bar.Report(done, total),
        }));
        if (truncated > 0)
        {
            int max = Math.Min(p.GetValue(maxLength) ?? encoder.MaxSeqLength, encoder.Transformer.MaxSequenceLength);
            Terminal.Log($"note: {truncated} of {texts.Count} texts are longer than {max} tokens ({(p.GetValue(maxLength) is null ? "the model's max_seq_length" : "--max-length")}, " +
                "special tokens included) and were embedded from their first tokens", quiet);
        }
        if (world.Size > 1)
        {
            embeddings = RowGather.Gather(world, embeddings, all.Count, width);
            if (world.Rank != 0) return 0;
        }
        if (encoder.IsSparse)
        {
            var sparse = embeddings.Select(e => SparseEmbedding.FromDense(e, active)).ToArray();
            if (Path.GetExtension(outputPath).Equals(".npy", StringComparison.OrdinalIgnoreCase))
                EmbeddingOutput.Write(outputPath, [.. sparse.Select(e => Dense(e, encoder.Dimension))], encoder.Dimension);
            else
                EmbeddingOutput.WriteSparse(outputPath, sparse, encoder.AutoEncoder is null ? encoder.Tokenizer.IdToToken : null);
            Terminal.Log($"wrote {sparse.Length} sparse embeddings over {encoder.Dimension} {(encoder.AutoEncoder is null ? "vocabulary entries" : "latents")} " +
                $"({(sparse.Length == 0 ? 0 : sparse.Average(e => e.Count)):F1} active on average) to {outputPath}", quiet);
            return 0;
        }
        if (format == EmbeddingPrecision.Float32)
        {
            EmbeddingOutput.Write(outputPath, embeddings, width);
            Terminal.Log($"wrote {Counted.Of(embeddings.Length, "embedding")} of dimension {width} to {outputPath}", quiet);
            return 0;
        }
        WriteQuantized(outputPath, embeddings, format, p.GetValue(ranges), quiet);
        return 0;
    }

    /// <summary>
    /// <c>--bge-m3 sparse|colbert|all</c>: BGE-M3's lexical weights, ColBERT vectors or all three outputs of the texts,
    /// as .jsonl. The options of single-vector embeddings are refused; the prompt, length, batch size and weights
    /// precision apply. Under mpirun <paramref name="texts"/> is this rank's shard of the <paramref name="total"/> texts:
    /// the outputs are gathered in input order (<see cref="Index.RankEncoding"/>) and rank 0 writes the file one process
    /// writes.
    /// </summary>
    private int WriteBgeM3(ParseResult p, string folder, List<string> texts, int total, string outputPath, string mode, bool quiet)
    {
        foreach (var o in new Option[] { adapters, quantize, ranges, route, maxActiveDims, truncateDim, instruction, normalize })
        {
            if (p.GetResult(o) is { Implicit: false }) throw new UsageException($"{o.Name} does not apply with --bge-m3 {mode}");
        }
        if (precision.Of(p) != EmbeddingPrecision.Float32) throw new UsageException($"--precision quantizes dense embeddings; --bge-m3 {mode} is written as float32");
        if (!Path.GetExtension(outputPath).Equals(".jsonl", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"--bge-m3 {mode} writes .jsonl (one object per text), not {Path.GetExtension(outputPath)}");
        var kept = mode switch { "sparse" => BgeM3Outputs.Sparse, "colbert" => BgeM3Outputs.Colbert, _ => BgeM3Outputs.All };
        using var m3 = Float32MatmulOption.Apply(BgeM3Encoder.Load(folder, InfoCommand.Precision(p.GetValue(weights))), p.GetValue(float32Matmul), quiet);
        int truncated = 0;
        var outputs = ProgressView.Run("encoding", texts.Count >= 64, quiet, bar => m3.Encode(texts, new EncodeOptions
        {
            TruncatedTexts = n => truncated = n,
            BatchSize = p.GetValue(batchSize) ?? 32,
            MaxLength = p.GetValue(maxLength),
            PromptName = p.GetValue(promptName),
            Prompt = p.GetValue(prompt),
            Progress = (done, total) => bar.Report(done, total),
        }, kept));
        if (truncated > 0) Terminal.Log($"note: {truncated} of {texts.Count} texts are longer than the maximum length and were encoded from their first tokens", quiet);
        if (Cli.World is { Size: > 1 } world)
        {
            outputs = Index.RankEncoding.Gather(world, outputs, total, kept, m3.Dimension, m3.ColbertDimension);
            if (world.Rank != 0) return 0;
        }
        string what;
        if (kept == BgeM3Outputs.Sparse)
        {
            EmbeddingOutput.WriteSparse(outputPath, [.. outputs.Select(o => o.Sparse!)], m3.Tokenizer.IdToToken);
            what = "the lexical weights";
        }
        else if (kept == BgeM3Outputs.Colbert)
        {
            EmbeddingOutput.WriteTokenVectors(outputPath, [.. outputs.Select(o => o.Colbert!)], m3.Tokenizer.IdToToken);
            what = $"the ColBERT vectors (dimension {m3.ColbertDimension})";
        }
        else
        {
            EmbeddingOutput.WriteBgeM3(outputPath, outputs, m3.Tokenizer.IdToToken);
            what = $"the dense vectors (dimension {m3.Dimension}), lexical weights and ColBERT vectors";
        }
        string tokens = outputs.Length == 0 ? "" :
            (kept & BgeM3Outputs.Sparse) != 0 ? $" ({outputs.Average(o => o.Sparse!.Count):F1} weighted tokens per text on average)" :
            $" ({outputs.Average(o => o.Colbert!.Count):F1} vectors per text on average)";
        Terminal.Log($"wrote {what} of {Counted.Of(outputs.Length, "text")}{tokens} to {outputPath}", quiet);
        return 0;
    }

    /// <summary>A sparse embedding as its dense vector [<paramref name="dimension"/>].</summary>
    private static float[] Dense(SparseEmbedding e, int dimension)
    {
        var row = new float[dimension];
        for (int i = 0; i < e.Count; i++) row[e.Indices[i]] = e.Values[i];
        return row;
    }

    /// <summary>The embeddings in <paramref name="format"/>; int8/uint8 ranges read from --ranges or computed and written beside the output.</summary>
    private static void WriteQuantized(string outputPath, float[][] embeddings, EmbeddingPrecision format, string? rangesPath, bool quiet)
    {
        QuantizationRanges? calibration = null;
        if (EmbeddingQuantizer.NeedsRanges(format) && rangesPath is not null)
        {
            var m = NpyFile.ReadFloatMatrix(rangesPath);
            if (m.Length != 2) throw new InputException($"{rangesPath}: ranges have shape [2, D] (minima, maxima), this one has {m.Length} rows");
            try { calibration = new QuantizationRanges(m[0], m[1]); }
            catch (ArgumentException e) { throw new InputException($"{rangesPath}: {e.Message}"); }
            if (embeddings.Length > 0 && calibration.Dimension != embeddings[0].Length)
                throw new InputException($"{rangesPath}: ranges for {calibration.Dimension} dimensions, the model's embeddings have {embeddings[0].Length}");
        }
        else if (EmbeddingQuantizer.NeedsRanges(format) && embeddings.Length > 0)
        {
            calibration = QuantizationRanges.FromEmbeddings(embeddings);
            if (embeddings.Length < 100)
                Terminal.Log($"note: {EmbeddingQuantizer.Name(format)} ranges from only {Counted.Of(embeddings.Length, "text")}; ranges from a larger set (--ranges) quantize more stably", quiet);
        }
        QuantizedEmbeddings q;
        try { q = EmbeddingQuantizer.Quantize(embeddings, format, calibration); }
        catch (ArgumentException e) { throw new InputException($"--precision {EmbeddingQuantizer.Name(format)}: {e.Message}"); }
        EmbeddingOutput.Write(outputPath, q);
        string written = $"wrote {Counted.Of(q.Rows, EmbeddingQuantizer.Name(format) + " embedding")} ({q.RowBytes} bytes each) to {outputPath}";
        if (rangesPath is null && calibration is not null)
        {
            string beside = RangesPathFor(outputPath);
            EmbeddingOutput.WriteRanges(beside, calibration);
            written += $"; their ranges to {beside}";
        }
        Terminal.Log(written, quiet);
    }

    /// <summary>Where the ranges of OUTPUT.ext go: OUTPUT.ranges.npy.</summary>
    internal static string RangesPathFor(string outputPath) =>
        Path.Combine(Path.GetDirectoryName(outputPath) ?? "", Path.GetFileNameWithoutExtension(outputPath) + ".ranges.npy");
}
