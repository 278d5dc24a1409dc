using System.CommandLine;
using System.Globalization;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Data.Negatives;
using Skald.Evaluation.Models;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Data;
using Skald.Training.Data;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald data mine-negatives</c>: adds hard negatives to (anchor, positive) pairs with an embedding model or BM25,
/// with sentence-transformers' <c>mine_hard_negatives</c> parameters.
/// </summary>
internal sealed class DataMineNegativesCommand : Command
{
    private readonly Option<string> data = CliOptions.Text("--data", "Pairs (JSONL/CSV/TSV/Parquet): the first two text columns are anchor and positive", "FILE", required: true);
    private readonly Option<string> output = CliOptions.Text("--output", "Mined data set (.jsonl)", "FILE", required: true);
    private readonly Option<string> model = CliOptions.Text("--model", "Embedding model folder, a hub id org/name[@revision], or bm25", "DIR|ID|bm25", required: true);
    private readonly Option<string> corpus = CliOptions.Text("--corpus", "More passages to draw negatives from: a BEIR corpus.jsonl (title and text, joined as the index joins them) or .txt (one per line)", "FILE");
    private readonly Option<int?> numNegatives = CliOptions.Int("--num-negatives", "Negatives per anchor", defaultValue: 3);
    private readonly Option<int?> rangeMin = CliOptions.Int("--range-min", "Skip the N best candidates", min: 0, defaultValue: 0);
    private readonly Option<int?> rangeMax = CliOptions.Int("--range-max", "Consider candidates up to rank N (default: range-min + 10·num-negatives + positives with a margin or max score, else range-min + num-negatives + positives)");
    private readonly Option<double?> absoluteMargin = CliOptions.Number("--absolute-margin", "Drop candidates scoring above positive score − X", _ => true, "a number");
    private readonly Option<string> relativeMargin = CliOptions.Text("--relative-margin", "Drop candidates scoring above positive score − |positive score| · X (sentence-transformers' threshold); none turns it off (sentence-transformers' default)", "X|none", "0.05");
    private readonly Option<double?> maxScore = CliOptions.Number("--max-score", "Drop candidates scoring above X", _ => true, "a number");
    private readonly Option<double?> minScore = CliOptions.Number("--min-score", "Drop candidates scoring below X", _ => true, "a number");
    private readonly Option<string> sampling = CliOptions.Choice("--sampling", "top: the best qualifying candidates; random: a random choice of them", "top", "top", "random");
    private readonly Option<string> format = CliOptions.Choice("--format", "triplet: (anchor, positive, negative) rows; n-tuple: negative_1..n columns; n-tuple-scores: n-tuple with --scores; labeled-pair: (anchor, passage, label); labeled-list: (anchor, [positive, negatives...], labels [1, 0, ...]) for the listwise cross-encoder losses", "triplet", HardNegativeMiner.FormatNames);
    private readonly Option<bool> includePositives = CliOptions.Flag("--include-positives",
        "Leave the positives among the candidates (with --format n-tuple): each row the first stage's ranking, e.g. for a reranking evaluation set (include_positives)");
    private readonly Option<string> queryPrompt = CliOptions.Text("--query-prompt", "Prepend this text to the anchors instead of the model's query prompt (\"\" for none)", "TEXT");
    private readonly Option<string> queryPromptName = CliOptions.Text("--query-prompt-name", "Give the anchors the model's prompt of this name instead of its query prompt", "NAME");
    private readonly Option<string> corpusPrompt = CliOptions.Text("--corpus-prompt", "Prepend this text to the passages instead of the model's document prompt (\"\" for none)", "TEXT");
    private readonly Option<string> corpusPromptName = CliOptions.Text("--corpus-prompt-name", "Give the passages the model's prompt of this name instead of its document prompt", "NAME");
    private readonly Option<string> language = CliOptions.Text("--language", "With --model bm25: its stemming language (nb, nn, da, sv, en; auto: each passage in its own, as skald index build --language auto)", "LANG");
    private readonly Option<int?> batchSize = CliOptions.Int("--batch-size", "Texts per embedding batch", defaultValue: 32);
    private readonly Option<string> float32Matmul = Float32MatmulOption.Create();
    private readonly Option<string> cache = CliOptions.Text("--cache", "Embedding cache folder (the one skald evaluate uses)", "DIR");
    private readonly Option<int?> seed = CliOptions.Int("--seed", "Seed of random sampling (draws as Python's random.seed(SEED) then mine_hard_negatives)", min: 0, defaultValue: 42);
    private readonly Option<string> crossEncoder = CliOptions.Text("--cross-encoder",
        "Rescore --model's candidates and the positives with this cross-encoder (reranker folder or hub id): margins, max/min score and the ranking then use its scores, in (0, 1) for a reranker (mine_hard_negatives' cross_encoder)", "DIR|ID");

    private readonly Option<bool> scores = CliOptions.Flag("--scores",
        "Add the scorer's scores (the cross-encoder's with --cross-encoder; sentence-transformers' output_scores): triplets and n-tuples a scores column, the positive's then each negative's (what loss.type distill_kl trains on); labeled-pair a score column for label; labeled-list scores for labels (listwise distillation, e.g. loss.type listnet)");
    private readonly Option<bool> margins = CliOptions.Flag("--margins",
        "Triplets and n-tuples: add a label column, score(anchor, positive) − score(anchor, negative) by the scorer (the cross-encoder's with --cross-encoder; a list for n-tuples): the teacher margins loss.type margin_mse trains on");

    public DataMineNegativesCommand() : base("mine-negatives", "Add hard negatives to (anchor, positive) pairs (sentence-transformers' mine_hard_negatives)")
    {
        foreach (var o in new Option[] { data, output, model, corpus, numNegatives, rangeMin, rangeMax, absoluteMargin, relativeMargin, maxScore, minScore, sampling, format, includePositives,
                     queryPrompt, queryPromptName, corpusPrompt, corpusPromptName, language, batchSize, float32Matmul, cache, seed, crossEncoder, margins, scores })
            Options.Add(o);
        CliOptions.AtMostOne(this, margins, scores);
        CliOptions.AtMostOne(this, queryPrompt, queryPromptName);
        CliOptions.AtMostOne(this, corpusPrompt, corpusPromptName);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        string rel = p.GetValue(relativeMargin)!;
        double? relative = rel == "none" ? null
            : double.TryParse(rel, NumberStyles.Float, CultureInfo.InvariantCulture, out double r) && r is >= 0 and < 1 ? r
            : throw new UsageException($"option --relative-margin must be a number in [0, 1) or none, got '{rel}'");
        var options = new MiningOptions
        {
            NumNegatives = p.GetValue(numNegatives) ?? 3, RangeMin = p.GetValue(rangeMin) ?? 0, RangeMax = p.GetValue(rangeMax),
            AbsoluteMargin = p.GetValue(absoluteMargin), RelativeMargin = relative, MaxScore = p.GetValue(maxScore), MinScore = p.GetValue(minScore),
            Sampling = p.GetValue(sampling) == "random" ? SamplingStrategy.Random : SamplingStrategy.Top,
            Format = HardNegativeMiner.ParseFormat(p.GetValue(format)!, out bool tupleScores), Seed = p.GetValue(seed) ?? 42, Margins = p.GetValue(margins),
            Scores = p.GetValue(scores) || tupleScores, IncludePositives = p.GetValue(includePositives),
        };
        if (options.Margins && options.Format is MiningFormat.LabeledPair or MiningFormat.LabeledList) throw new UsageException("--margins applies to --format triplet or n-tuple");
        if (options.Margins && tupleScores) throw new UsageException("--margins and --format n-tuple-scores: write margins or scores, not both");
        if (options.IncludePositives && options.Format != MiningFormat.NTuple) throw new UsageException("--include-positives applies to --format n-tuple (the ranking in order)");
        if (options.RangeMax is { } max && max - options.RangeMin < options.NumNegatives)
            throw new UsageException($"option --range-max ({max}) leaves fewer than --num-negatives ({options.NumNegatives}) candidates after --range-min ({options.RangeMin})");
        if (options.RangeMax is { } rm && rm <= options.RangeMin) throw new UsageException($"option --range-max ({rm}) must be above --range-min ({options.RangeMin})");
        if (!Path.GetExtension(p.GetValue(output)!).Equals(".jsonl", StringComparison.OrdinalIgnoreCase))
            throw new UsageException($"option --output must name a .jsonl file, got '{p.GetValue(output)}'");
        OutputPath.NotAnInput(p.GetValue(output)!, p.GetValue(data), p.GetValue(corpus));
        OutputPath.NotAFileOf("--output", p.GetValue(output)!, [.. new[] { p.GetValue(model), p.GetValue(crossEncoder) }.OfType<string>().Where(Directory.Exists)]);
        string spec = p.GetValue(model)!;
        bool bm25 = spec.Equals("bm25", StringComparison.OrdinalIgnoreCase);
        if (!bm25 && p.GetValue(language) is not null) // the pipeline's mine_negatives stage refuses its language key alike
            throw new UsageException("--language applies to --model bm25 (it picks BM25's stemmer); an embedding model's candidates are not stemmed");
        CliOptions.StemmingLanguage(p.GetValue(language), perDocument: true);
        string path = p.GetValue(data)!;
        var set = DatasetReader.Read(path).WithoutLists("mine-negatives");
        if (set.Columns.Count < 2) throw new InputException($"{path}: needs two text columns (anchor, positive), found {string.Join(", ", set.Columns)}");
        var pairs = set.Rows.Select(row => (row[0], row[1])).ToList();
        var extra = p.GetValue(corpus) is { } c ? ReadCorpus(c) : null;
        string folder = bm25 ? spec : HubModels.Resolve(spec, quiet); // a hub id, as every other verb's --model takes
        var prompts = new MiningPrompts(p.GetValue(queryPrompt), p.GetValue(queryPromptName), p.GetValue(corpusPrompt), p.GetValue(corpusPromptName));
        if (bm25 && prompts.Any) throw new UsageException("the prompt options apply to an embedding model, not --model bm25");
        using var encoder = bm25 ? null
            : Directory.Exists(folder) ? Float32MatmulOption.Apply(Skald.Models.SentenceEncoder.Load(folder), p.GetValue(float32Matmul), quiet)
            : throw new InputException($"{spec}: model folder not found (or use --model bm25)");
        using var dense = encoder is null ? null : new EvaluationEmbeddingModel(encoder, folder, prompts.Apply(
            new EvaluationEmbeddingOptions { BatchSize = p.GetValue(batchSize) ?? 32, CacheDirectory = p.GetValue(cache) }, encoder.Folder.Prompts, spec));
        ICandidateScorer scorer = dense is null ? new Bm25CandidateScorer(new Bm25Model(new Bm25Options { DocumentLanguage = Skald.Cli.Commands.Index.IndexSources.GuessedLanguage }), p.GetValue(language)) : new DenseCandidateScorer(dense);
        using var reranker = p.GetValue(crossEncoder) is { } ce ? Rerankers.Load(ce, quiet) : null;
        if (reranker is not null)
            scorer = new CrossEncoderCandidateScorer(scorer, QuantizeOption.Apply(Float32MatmulOption.Apply(reranker, p.GetValue(float32Matmul), quiet), null, quiet),
                new Skald.Models.CrossEncoders.CrossEncoderOptions { BatchSize = p.GetValue(batchSize) ?? 32 });
        var mined = HardNegativeMiner.Mine(pairs, (set.Columns[0], set.Columns[1]), scorer, options, extra);
        MinedDataWriter.Write(mined, p.GetValue(output)!);
        if (!quiet)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Counted.Of(pairs.Count, "pair")}, candidates up to rank {mined.RangeMax} by {scorer.Name}; removed: {(mined.Removed.Count == 0 ? "none" : string.Join(", ", mined.Removed.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Value} {k.Key}")))}"));
            if (mined.AnchorsShort > 0) Console.WriteLine($"{Counted.Of(mined.AnchorsShort, "anchor")} got fewer than {options.NumNegatives} negatives");
            Console.WriteLine($"wrote {Counted.Of(mined.Rows.Count, "row")} ({string.Join(", ", mined.Columns)}) to {p.GetValue(output)}");
        }
        return 0;
    }

    internal static List<string> ReadCorpus(string path)
    {
        try
        {
            return Path.GetExtension(path).Equals(".jsonl", StringComparison.OrdinalIgnoreCase)
                ? DataFiles.ReadJsonLines(path, (e, line) => new Skald.Retrieval.Models.CorpusDocument("", DataFiles.OptionalText(e, "title", path, line),
                    DataFiles.Text(e, "text", path, line, allowEmpty: true)).FullText) // as pairs.jsonl's positives and the index join them
                : TextInput.Read(path, allowBlank: true);
        }
        catch (Skald.Retrieval.EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }
}
