using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Evaluation.Models;
using Skald.Retrieval;
using Skald.Retrieval.Models;
using Skald.Retrieval.Remote;
using Skald.Tensors;
using Skald.Training.Data;
using Skald.Training.EmbeddingAdapters;

using Counted = Skald.Tokenizers.Serialization.Counted;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald adapter train</c>: a query adapter over a frozen model folder or a remote model (llama_index's recipe):
/// (query, passage) pairs embedded once, a held-out split scored (hit rate and MRR at k) before and after, the adapter
/// trained with MNRL on the cached embeddings, saved as a sentence-transformers Router folder (or, for a remote base,
/// the adapter and a reference to the remote model).
/// </summary>
internal sealed class AdapterTrainCommand : Command
{
    private readonly Option<string> model = CliOptions.Text("--model", "Base model: a model folder, a hub id org/name[@revision] or openai:URL#MODEL (kept frozen)", "DIR|ID|openai:URL#MODEL", required: true);
    private readonly Option<string> data = CliOptions.Text("--data", "(query, passage) pairs: JSONL/CSV/TSV, the first two text columns", "FILE", required: true);
    private readonly Option<string> output = CliOptions.Text("--output", "Folder to write (a sentence-transformers Router folder for a local base)", "DIR", required: true);
    private readonly Option<string> kind = CliOptions.Choice("--kind", "linear: W·x, W = I at the start; mlp: x + r·MLP(x), r = 0 at the start", "linear", "linear", "mlp");
    private readonly Option<int?> hidden = CliOptions.Int("--hidden", "Hidden width of the mlp adapter", defaultValue: 1024);
    private readonly Option<int?> epochs = CliOptions.Int("--epochs", "Passes over the training pairs", defaultValue: 4);
    private readonly Option<int?> batchSize = CliOptions.Int("--batch-size", "Pairs per step (in-batch negatives)", defaultValue: 32);
    private readonly Option<double?> lr = CliOptions.Number("--lr", "Peak learning rate (AdamW, 10% warm-up, linear decay)", v => v > 0, "a positive number", defaultValue: 1e-3);
    private readonly Option<double?> evalFraction = CliOptions.Number("--eval-fraction", "Share of the pairs held out to score before and after", v => v > 0 && v < 1, "a number between 0 and 1", defaultValue: 0.2);
    private readonly Option<string> evalData = CliOptions.Text("--eval-data", "Held-out (query, passage) pairs to score instead of a share of --data", "FILE");
    private readonly Option<int?> k = CliOptions.Int("--k", "Cut-off of hit rate and MRR", defaultValue: 10);
    private readonly Option<int?> seed = CliOptions.Int("--seed", "Seed of the split and the batch order", min: 0, defaultValue: 42);
    private readonly Option<string> cache = CliOptions.Text("--cache", "Folder caching the embeddings between runs", "DIR");
    private readonly Option<int?> encodeBatch = CliOptions.Int("--encode-batch-size", "Texts per forward pass of a local base model", defaultValue: 32);
    private readonly RemoteModels remote = new();

    public AdapterTrainCommand() : base("train", "Train a query adapter over a frozen or remote embedding model (hit rate and MRR before and after)")
    {
        foreach (var o in new Option[] { model, data, output, kind, hidden, epochs, batchSize, lr, evalFraction, evalData, k, seed, cache, encodeBatch }) Options.Add(o);
        foreach (var o in remote.All) Options.Add(o);
        CliOptions.AtMostOne(this, evalFraction, evalData);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        string outputPath = p.GetValue(output)!;
        CliOptions.RequireNewFolder(outputPath);
        var (queries, passages) = ReadPairs(p.GetValue(data)!);
        int[] train, test;
        if (p.GetValue(evalData) is { } evalFile)
        {
            // Held-out pairs from their own file, appended after the training pairs.
            var (eq, ep) = ReadPairs(evalFile);
            if (eq.Count == 0 || queries.Count == 0) throw new InputException($"{(eq.Count == 0 ? evalFile : p.GetValue(data))}: no pairs");
            train = [.. Enumerable.Range(0, queries.Count)];
            test = [.. Enumerable.Range(queries.Count, eq.Count)];
            queries.AddRange(eq);
            passages.AddRange(ep);
        }
        else
        {
            if (queries.Count < 5) throw new InputException($"{p.GetValue(data)}: {Counted.Of(queries.Count, "pair")}; at least 5 are needed (some are held out)");
            int count = queries.Count, share = Math.Clamp((int)Math.Round(count * (p.GetValue(evalFraction) ?? 0.2)), 1, count - 2);
            var order = Enumerable.Range(0, count).ToArray();
            TextDataset.Shuffle(order, new SkaldRandom((ulong)(p.GetValue(seed) ?? 42)));
            test = order[..share];
            train = order[share..];
        }
        int n = queries.Count, held = test.Length;
        try
        {
            string spec = p.GetValue(model)!;
            var options = new EvaluationEmbeddingOptions { CacheDirectory = p.GetValue(cache), BatchSize = p.GetValue(encodeBatch) ?? 32 };
            OpenAiEmbeddingClient? client = null;
            IEmbeddingModel embedder;
            // Ctrl-C while the remote model embeds into --cache: the request in flight finishes into it, nothing is trained or
            // saved; without --cache the process ends, saying nothing was saved
            using var ctrlC = RemoteModelSpec.IsRemote(spec) ? new RemoteDrain(p.GetValue(cache)) : null;
            if (RemoteModelSpec.IsRemote(spec))
            {
                client = new OpenAiEmbeddingClient(remote.Settings(p, RemoteModelSpec.Parse(spec), ctrlC?.Stop));
                embedder = new RemoteEmbeddingModel(client, options);
            }
            else
            {
                spec = HubModels.Resolve(spec, quiet);
                if (!Directory.Exists(spec)) throw new InputException($"{spec}: model folder not found");
                // The adapter is written as a router over the base's transformer: a static model has none to route.
                // (a PEFT adapter folder: its base's; the router's Transformer then records the adapter and its base)
                if (Skald.Models.SentenceEncoder.Sources(spec).Folder.IsStatic)
                    throw new InputException($"{spec}: a static embedding model; a query adapter needs a transformer model (or an openai: endpoint)");
                embedder = EvaluationEmbeddingModel.Load(spec, options);
            }
            // Every text is embedded once (duplicates too), then training reads only these vectors.
            Terminal.Log($"embedding {Counted.Of(n, "query", "queries")} and {Counted.Of(passages.Distinct(StringComparer.Ordinal).Count(), "passage")} with {embedder.Name}", quiet);
            float[][]? q = null, d = null;
            try
            {
                q = embedder.Embed(queries, TextRole.Query);
                d = embedder.Embed(passages, TextRole.Document);
            }
            catch (OperationCanceledException) when (ctrlC?.Requested == true)
            {
                // stopped: the vectors received are in the cache
            }
            if (q is null || d is null || ctrlC?.Requested == true) // (stopped in its last request, it may have finished: still stopped)
            {
                Console.Error.WriteLine(ctrlC!.Interrupted(outputPath));
                return 130;
            }

            // Held-out corpus: the distinct passages of the held-out pairs.
            var corpusIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            var corpus = new List<float[]>();
            var relevant = new int[held];
            for (int i = 0; i < held; i++)
            {
                if (!corpusIndex.TryGetValue(passages[test[i]], out int c)) { corpusIndex[passages[test[i]]] = c = corpus.Count; corpus.Add(d[test[i]]); }
                relevant[i] = c;
            }
            int cut = p.GetValue(k) ?? 10;
            var testQueries = test.Select(i => q[i]).ToArray();
            var adapterKind = p.GetValue(kind) == "mlp" ? QueryAdapterKind.Mlp : QueryAdapterKind.Linear;
            var adapter = QueryAdapter.Create(adapterKind, q[0].Length, p.GetValue(hidden) ?? 1024, (ulong)(p.GetValue(seed) ?? 42));
            var before = AdapterScores.Compute(adapter.Apply(testQueries), corpus, relevant, cut);
            float loss = AdapterTrainer.Train(adapter, [.. train.Select(i => q[i])], [.. train.Select(i => d[i])], new AdapterTrainingOptions
            {
                Epochs = p.GetValue(epochs) ?? 4,
                BatchSize = p.GetValue(batchSize) ?? 32,
                LearningRate = (float)(p.GetValue(lr) ?? 1e-3),
                Seed = (ulong)(p.GetValue(seed) ?? 42),
            });
            var after = AdapterScores.Compute(adapter.Apply(testQueries), corpus, relevant, cut);

            if (embedder is EvaluationEmbeddingModel local) RouterFolderWriter.Save(local.Encoder, adapter, outputPath);
            else RouterFolderWriter.SaveRemote(RemoteModelSpec.Parse(p.GetValue(model)!).ToString(), adapter, outputPath);

            var summary = new JsonObject
            {
                ["model"] = embedder.Name,
                ["kind"] = adapterKind == QueryAdapterKind.Linear ? "linear" : "mlp",
                ["train_pairs"] = train.Length,
                ["eval_pairs"] = held,
                ["eval_passages"] = corpus.Count,
                ["final_loss"] = Math.Round(loss, 6),
                ["before"] = Scores(before),
                ["after"] = Scores(after),
                ["output"] = Path.GetFullPath(outputPath),
            };
            if (client is not null)
            {
                summary["requests"] = client.Requests;
                summary["tokens"] = client.Tokens;
                if (client.Settings.PricePerMillionTokens > 0) summary["cost"] = Math.Round(client.Cost, 6);
            }
            Console.WriteLine(summary.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            Terminal.Log(string.Create(CultureInfo.InvariantCulture,
                $"held-out {Counted.Of(held, "pair")}: hit_rate@{cut} {before.HitRate:F4} → {after.HitRate:F4}, mrr@{cut} {before.Mrr:F4} → {after.Mrr:F4}; saved {outputPath}"), quiet);
            if (client is not null) Terminal.Log(RemoteModels.Usage(client), quiet);
            return 0;
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }

    private static JsonObject Scores(AdapterScores s) => new()
    {
        [$"hit_rate@{s.K}"] = Math.Round(s.HitRate, 6),
        [$"mrr@{s.K}"] = Math.Round(s.Mrr, 6),
    };

    private static (List<string> Queries, List<string> Passages) ReadPairs(string file)
    {
        var d = DatasetReader.Read(file).WithoutLists("adapter train");
        var textColumns = d.Columns.Where(c => c != "lang").ToList();
        if (textColumns.Count < 2) throw new InputException($"{file}: needs two text columns (query, passage), found {string.Join(", ", d.Columns)}");
        d = d.SelectColumns(textColumns.Take(2).ToList());
        return ([.. d.Rows.Select(r => r[0])], [.. d.Rows.Select(r => r[1])]);
    }
}
