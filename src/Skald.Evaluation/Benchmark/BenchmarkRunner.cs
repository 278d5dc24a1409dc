using System.Security.Cryptography;
using System.Text;
using Skald.Evaluation.Data;
using Skald.Evaluation.Evaluators;
using Skald.Evaluation.Models;
using Skald.Hub;
using Skald.Models;
using Skald.Models.CrossEncoders;
using Skald.Models.Modules;
using Skald.Retrieval;
using Skald.Retrieval.Bm25;
using Skald.Retrieval.Models;
using Skald.Retrieval.Remote;
using Skald.Retrieval.Search;

namespace Skald.Evaluation.Benchmark;

/// <summary>
/// Runs every task of a suite for every model. A model is a model folder (or a hub id <c>org/name[@revision]</c>,
/// fetched into the hub cache and named by the id in the report), <c>bm25</c> (the BM25 baseline; retrieval
/// tasks only, the others are left empty and count as its last place in the Borda count), or <c>hybrid:DIR</c> (BM25 fused with the model in
/// DIR, <see cref="HybridSpec"/> names the fusion; retrieval only), or <c>openai:URL#MODEL</c> (a remote OpenAI-compatible embeddings API,
/// <see cref="RemoteEmbeddingModel"/>), or a cross-encoder folder (BM25's top 100 reranked by it, and a reranking task's
/// candidates scored; retrieval and reranking only). Each (model, task) result is cached as JSON under
/// <c>CACHE/results/MODELKEY/TASK-TASKKEY.json</c>; the keys hash the model folder's files (or BM25's settings), for a
/// local model its products' numerics (<see cref="EvaluationEmbeddingModel.Numerics(Skald.Tensors.WeightPrecision, bool, bool, Skald.Tensors.Float32MatmulPrecision)"/>,
/// as <c>skald evaluate --cache</c> keys its embeddings: "high" float32 products, asked or by SKALD_AMX_FP32=high, are
/// not "highest" ones), and the task's data files and settings, so a rerun computes only what is new or changed. Embeddings are cached under
/// <c>CACHE/embeddings</c> (<see cref="EmbeddingCache"/>).
/// </summary>
public static class BenchmarkRunner
{
    // Part of every result key: raised when an unchanged model on an unchanged task scores otherwise, so results cached
    // by an earlier Skald are computed again (2: BM25 `auto`'s statistics and language guesser, and Euclidean/Manhattan
    // models ranked by their own similarity, 2026-12-07; 3: the guesser's Swedish cues, which move some passages'
    // BM25 `auto` field, pair classification's mcc and its F1 threshold 0 when no cut holds a positive, as
    // sentence-transformers', and Euclidean/Manhattan models ranked by their distance under --hnsw and --ivf-lists,
    // 2026-12-07).
    private const string CodeVersion = "skald-eval-3";

    /// <summary>
    /// Runs the suite and returns the report (not yet written). <paramref name="cancellationToken"/> is looked at before
    /// each (model, task): once it is cancelled no further task starts and <see cref="OperationCanceledException"/> is
    /// thrown; the results computed so far are in the cache, so a rerun computes only the rest.
    /// </summary>
    public static BenchmarkReport Run(Suite suite, IReadOnlyList<string> modelSpecs, BenchmarkOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        options ??= new BenchmarkOptions();
        if (modelSpecs.Count == 0) throw new EvaluationException("no models given");
        var resolve = options.ResolveModel ?? (id => HubResolver.Locate(id));
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        options = options with { ResolveModel = id => resolved.TryGetValue(id, out var dir) ? dir : resolved[id] = resolve(id) };
        var models = modelSpecs.SelectMany(spec => ModelSlot.Variants(spec, options)).ToList();
        var names = new HashSet<string>();
        foreach (var m in models)
        {
            if (!names.Add(m.Name)) m.Name = $"{m.Name}#{models.IndexOf(m) + 1}";
        }
        var results = new Dictionary<(string, string), TaskResult>();
        int computed = 0, cached = 0;
        var skipped = new List<string>();
        try
        {
            foreach (var m in models)
            {
                bool checkedWidth = false;
                foreach (var task in suite.Tasks)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if ((m.RetrievalOnly && task.Kind is not (TaskKind.Retrieval or TaskKind.Reranking))
                        || (task.Kind == TaskKind.Reranking && m.Model is not (IEmbeddingModel or ICandidateScorer))) // a hybrid searches, it cannot score given candidates
                    {
                        skipped.Add($"{m.Name} / {task.Name}");
                        continue;
                    }
                    string? file = options.CacheDirectory is null ? null
                        : Path.Combine(options.CacheDirectory, "results", m.Key, $"{Safe(task.Name)}-{TaskKey(task, options.Retrieval, options.Bm25DocumentLanguage is not null)}.json");
                    TaskResult? result = null;
                    if (file is not null && File.Exists(file))
                    {
                        try
                        {
                            result = TaskResult.FromJson(File.ReadAllText(file)) with { Model = m.Name };
                            cached++;
                            options.Log?.Invoke($"{m.Name} / {task.Name}: cached {result.MainMetric} = {result.MainScore:F4}");
                        }
                        catch (System.Text.Json.JsonException)
                        {
                            result = null; // unreadable cache entry: recompute
                        }
                    }
                    if (result is null)
                    {
                        if (!checkedWidth)
                        {
                            CheckWidth(m, suite, options);
                            checkedWidth = true;
                        }
                        result = TaskEvaluator.Create(task, options.Retrieval).Evaluate(m.Model, cancellationToken) with { Model = m.Name };
                        computed++;
                        options.Log?.Invoke($"{m.Name} / {task.Name}: {result.MainMetric} = {result.MainScore:F4} ({result.Seconds:F1} s)");
                        if (file is not null) WriteAtomic(file, result.ToJson());
                    }
                    results[(m.Name, task.Name)] = result;
                }
                m.Release(); // its tasks are done: a model folder's encoder closes its files before the next model loads
            }
        }
        finally
        {
            foreach (var m in models) m.Release(); // a run stopped by an error or a cancellation closes the model under way too
        }
        var board = new Leaderboard([.. models.Select(m => m.Name)], [.. suite.Tasks.Select(t => (t.Name, t.TypeName, t.Language))], results);
        return new BenchmarkReport(suite, board, computed, cached, skipped);
    }

    /// <summary>
    /// Before a model's first computed task: an embedding model whose width the retrieval options cannot store (a
    /// <c>--pq</c> that does not divide it, binary bits of a width not divisible by 8, a Euclidean or Manhattan model's
    /// binary bits rescored against themselves or OPQ rotation that keeps no distance) is refused now, not after the
    /// suite's other tasks have run for it.
    /// </summary>
    private static void CheckWidth(ModelSlot m, Suite suite, BenchmarkOptions options)
    {
        if (options.Retrieval.Quantization is not { Compresses: true } q || !suite.Tasks.Any(t => t.Kind == TaskKind.Retrieval)
            || m.Model is not IEmbeddingModel model)
            return;
        try { q.Check(model.Dimension); }
        catch (ArgumentException e) { throw new EvaluationException($"{m.Name}: {e.Message}"); }
        _ = EmbeddingRetriever.For(model, options.Retrieval.LongDocuments, q, options.Retrieval.Ivf, options.Retrieval.Hnsw); // refuses what keeps no distance of a Euclidean or Manhattan model
    }

    /// <summary>Writes text through a temporary sibling and a rename.</summary>
    public static void WriteAtomic(string path, string text)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = $"{full}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            File.WriteAllText(tmp, text, new UTF8Encoding(false));
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>
    /// Hash of a task's definition, data files (names, sizes, times) and the evaluation settings; a task BM25 stems per
    /// document (<see cref="Bm25Model.StemmingLanguage"/>, with <paramref name="detects"/>) says so, so a result cached
    /// before a mixed task was stemmed so is not taken for one, and so does a paraphrase-mining task that adds the
    /// transitive closure (<see cref="TaskDefinition.AddTransitiveClosure"/>), whose scores differ from the plain one's,
    /// and a triplets task with a <see cref="TaskDefinition.Margin"/>.
    /// </summary>
    internal static string TaskKey(TaskDefinition task, RetrievalOptions retrieval, bool detects = false)
    {
        string bm25 = Bm25Model.StemmingLanguage(task.Language, detects) == Skald.Retrieval.Index.Bm25Fields.PerDocument ? "|bm25 per document" : "";
        string closure = task.AddTransitiveClosure ? "|transitive closure" : "";
        string margin = task.Margin != 0 ? "|margin " + task.Margin.ToString("R", System.Globalization.CultureInfo.InvariantCulture) : "";
        var sb = new StringBuilder($"{CodeVersion}|{task.Name}|{task.Kind}|{Path.GetFullPath(task.Path)}|{task.Language}|{(task.Limit is int n ? $"sample-{n}" : "")}|{retrieval}{bm25}{closure}{margin}\n");
        var files = Directory.Exists(task.Path) ? Directory.GetFiles(task.Path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : (IEnumerable<string>)[task.Path];
        foreach (var f in files)
        {
            var info = new FileInfo(f);
            sb.Append(f).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
        }
        return Hash(sb.ToString());
    }

    internal static string Hash(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)))[..16];

    private static string Safe(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    /// <summary>A model of the run, loaded on first use.</summary>
    private sealed class ModelSlot
    {
        private readonly Func<ModelSlot, IEvaluationModel> factory;
        private readonly List<Action> releases = [];
        private IEvaluationModel? model;

        // factory makes the model; what it loads inside a wrapper (a hybrid's embedding model, a first stage) it hands to Own
        private ModelSlot(string name, string key, bool retrievalOnly, Func<ModelSlot, IEvaluationModel> factory)
        {
            Name = name;
            Key = key;
            RetrievalOnly = retrievalOnly;
            this.factory = factory;
        }

        public string Name { get; set; }
        public string Key { get; }
        public bool RetrievalOnly { get; }
        public IEvaluationModel Model => model ??= factory(this);

        /// <summary>
        /// Disposes the model once its tasks are done, and what its factory loaded inside it (<see cref="Own"/>: a
        /// hybrid's embedding model, a reranked first stage); a later use loads it again.
        /// </summary>
        public void Release()
        {
            (model as IDisposable)?.Dispose();
            model = null;
            foreach (var release in releases) release();
            releases.Clear();
        }

        /// <summary>Releases <paramref name="inner"/> with this slot's model (one its wrapper does not dispose); returns it.</summary>
        private T Own<T>(T inner) where T : IDisposable
        {
            releases.Add(inner.Dispose);
            return inner;
        }

        /// <summary>Releases <paramref name="stage"/>'s model with this slot's (a first stage this slot's model wraps); returns it.</summary>
        private ModelSlot Own(ModelSlot stage)
        {
            releases.Add(stage.Release);
            return stage;
        }

        /// <summary>
        /// The entries of <paramref name="spec"/>: one, or for a model folder one per width of
        /// <see cref="BenchmarkOptions.TruncateDims"/> (dense) or per count of <see cref="BenchmarkOptions.MaxActiveDims"/> (sparse).
        /// </summary>
        public static IEnumerable<ModelSlot> Variants(string spec, BenchmarkOptions options)
        {
            string local = Folder(spec, options).Local;
            bool folder = Directory.Exists(local) && !CrossEncoder.IsCrossEncoder(local) && !RemoteAdapterFolder.Is(local);
            if (!folder || (options.TruncateDims is not { Count: > 0 } && options.MaxActiveDims is not { Count: > 0 }))
                return [Create(spec, options)];
            ModelFolder source;
            try
            {
                source = SentenceEncoder.Sources(local).Folder; // an adapter folder: its base's modules say dense or sparse
            }
            catch (Exception e) when (e is ModelFormatException or HubException)
            {
                throw new EvaluationException(e.Message);
            }
            bool sparse = source.Splade is not null || source.AutoEncoderPath is not null;
            var counts = sparse ? options.MaxActiveDims : options.TruncateDims;
            if (counts is not { Count: > 0 }) return [Create(spec, options)];
            return counts.Select(n => Create(spec, options with
            {
                Embedding = sparse ? options.Embedding with { MaxActiveDims = n } : options.Embedding with { TruncateDim = n },
            }, sparse ? $" ({n} active)" : $" ({n}d)"));
        }

        public static ModelSlot Create(string spec, BenchmarkOptions options, string variant = "")
        {
            var embeddingOptions = options.Embedding with
            {
                CacheDirectory = options.CacheDirectory is null ? null : Path.Combine(options.CacheDirectory, "embeddings"),
            };
            string remoteSettings = $"{embeddingOptions.MaxLength}|{embeddingOptions.QueryPrompt}|{embeddingOptions.DocumentPrompt}"
                + (embeddingOptions.TruncateDim is { } cut ? $"|truncate={cut}" : "") + (embeddingOptions.MaxActiveDims is { } active ? $"|active={active}" : "");
            // A local model's products (evaluate --cache's key): a result is reused only from a run that formed them alike.
            string numerics = "|" + EvaluationEmbeddingModel.Numerics(Skald.Tensors.WeightPrecision.Float32, int8: false, bf16: false, options.Float32Matmul);
            string embeddingSettings = remoteSettings + numerics;
            if (TwoStage(spec, options) is var (first, (reranker, rerankerName, _)))
            {
                // FIRST>CE: any first stage (a model folder, bm25, hybrid:DIR, openai:...) reranked by a cross-encoder.
                var stage = Create(first, options);
                return new ModelSlot(stage.Name + ">" + rerankerName,
                    "rerank-" + EmbeddingCache.ModelKey(reranker, CodeVersion + "|" + stage.Key + "|100" + numerics), true,
                    slot => Reranking(slot, reranker, slot.Own(stage).Model as IRetrievalModel
                        ?? EmbeddingRetriever.For((IEmbeddingModel)stage.Model, options.Retrieval.LongDocuments, options.Retrieval.Quantization, options.Retrieval.Ivf, options.Retrieval.Hnsw),
                        embeddingOptions.BatchSize, options.Float32Matmul));
            }
            if (spec.Equals("bm25", StringComparison.OrdinalIgnoreCase))
            {
                var o = Bm25(options);
                return new ModelSlot("bm25", "bm25-" + Hash($"{CodeVersion}|{o.Parameters}|{o.Stem}|{Snowball.IsAvailable}"), true, _ => new Bm25Model(o));
            }
            if (HybridSpec.TryParse(spec) is { } hybrid)
            {
                var (dir, dirName, _) = Folder(hybrid.Model, options);
                CheckFolder(dir);
                string fusion = hybrid.Options.Describe();
                return new ModelSlot("bm25+" + dirName + (hybrid.Prefix.Length > "hybrid".Length ? "/" + hybrid.Prefix["hybrid-".Length..] : ""),
                    "hybrid-" + EmbeddingCache.ModelKey(dir, CodeVersion + embeddingSettings + "|" + fusion), true,
                    slot => new HybridRetriever(new Bm25Model(Bm25(options)), EmbeddingRetriever.For(slot.Own(Load(dir, embeddingOptions, options)), options.Retrieval.LongDocuments,
                        options.Retrieval.Quantization, options.Retrieval.Ivf, options.Retrieval.Hnsw), hybrid.Options));
            }
            if (RemoteModelSpec.IsRemote(spec))
            {
                var remote = RemoteModelSpec.Parse(spec);
                var settings = options.Remote?.Invoke(remote) ?? new RemoteEmbeddingSettings { Spec = remote };
                return new ModelSlot(remote.Model, "openai-" + RemoteEmbeddingModel.BenchmarkKey(remote) + "-" + Hash(CodeVersion + remoteSettings), false,
                    _ => new RemoteEmbeddingModel(new OpenAiEmbeddingClient(settings), embeddingOptions));
            }
            var (local, name, keyName) = Folder(spec, options);
            CheckFolder(local);
            if (CrossEncoder.IsCrossEncoder(local))
            {
                // A reranker: BM25's top 100 reordered on retrieval tasks, the candidates scored on reranking tasks.
                return new ModelSlot("bm25>" + name, "rerank-" + EmbeddingCache.ModelKey(local, CodeVersion + "|bm25|100" + numerics), true,
                    slot => Reranking(slot, local, new Bm25Model(Bm25(options)), embeddingOptions.BatchSize, options.Float32Matmul));
            }
            if (RemoteAdapterFolder.Is(local))
            {
                var adapter = RemoteAdapterFolder.Read(local);
                var settings = options.Remote?.Invoke(adapter.Spec) ?? new RemoteEmbeddingSettings { Spec = adapter.Spec };
                return new ModelSlot(name, keyName + "-" + EmbeddingCache.ModelKey(local, CodeVersion + remoteSettings), false,
                    _ => new RemoteEmbeddingModel(new OpenAiEmbeddingClient(settings), embeddingOptions with { Name = name }, adapter));
            }
            return new ModelSlot(name + variant, keyName + "-" + EmbeddingCache.ModelKey(local, CodeVersion + embeddingSettings), false,
                _ => Load(local, embeddingOptions, options));
        }

        // A model folder's embedding model, its products at the run's float32 precision.
        private static EvaluationEmbeddingModel Load(string dir, EvaluationEmbeddingOptions embedding, BenchmarkOptions options)
        {
            var model = EvaluationEmbeddingModel.Load(dir, embedding);
            model.Encoder.Float32MatmulPrecision = options.Float32Matmul;
            return model;
        }

        // BM25's settings in every slot that searches with it: the run's detector for tasks stemmed per document.
        private static Bm25Options Bm25(BenchmarkOptions options) => new() { DocumentLanguage = options.Bm25DocumentLanguage };

        /// <summary>
        /// A spec FIRST&gt;CE whose part after the last '&gt;' is a cross-encoder folder: (FIRST, CE); else null (a folder
        /// whose own name holds '&gt;' stays a folder).
        /// </summary>
        private static (string First, (string Local, string Name, string KeyName) Reranker)? TwoStage(string spec, BenchmarkOptions options)
        {
            int cut = spec.LastIndexOf('>');
            if (cut <= 0 || cut == spec.Length - 1 || Directory.Exists(spec)) return null;
            var reranker = Folder(spec[(cut + 1)..], options);
            CheckFolder(reranker.Local);
            if (!CrossEncoder.IsCrossEncoder(reranker.Local))
                throw new EvaluationException($"{spec}: the part after '>' must be a cross-encoder folder (a reranker), and {reranker.Name} is not one");
            return (spec[..cut], reranker);
        }

        /// <summary>
        /// The folder of a model spec, its name in the report and in the result cache's paths: the spec itself when it is
        /// a folder here or not of a hub id's form, named after its last segment; else the folder
        /// <see cref="BenchmarkOptions.ResolveModel"/> gives (the hub cache's snapshot), named by the id as given ('/'
        /// and other characters a path segment cannot hold become '_' in the cache's name).
        /// </summary>
        private static (string Local, string Name, string KeyName) Folder(string spec, BenchmarkOptions options)
        {
            if (Directory.Exists(spec) || options.ResolveModel is null || HubId.TryParse(spec) is null) return (spec, ModelNames.Of(spec), FolderName(spec)); // a trained RUN/final is named RUN
            return (options.ResolveModel(spec), spec, Safe(spec));
        }

        /// <summary>
        /// The cross-encoder in <paramref name="dir"/> (packed-only) reordering the top 100 of <paramref name="first"/>;
        /// <paramref name="slot"/> owns it, as the retriever wrapping it does not dispose it.
        /// </summary>
        private static CrossEncoderRetriever Reranking(ModelSlot slot, string dir, IRetrievalModel first, int batchSize, Skald.Tensors.Float32MatmulPrecision float32)
        {
            var model = slot.Own(CrossEncoder.Load(dir));
            model.Float32MatmulPrecision = float32; // before packing: a packed-only model packs for the precision it runs at
            model.KeepPackedOnly();
            return new CrossEncoderRetriever(model, first, 100, new CrossEncoderOptions { BatchSize = batchSize });
        }

        private static void CheckFolder(string dir)
        {
            if (!Directory.Exists(dir)) throw new EvaluationException($"{dir}: model folder not found (or use 'bm25')");
        }

        private static string FolderName(string dir) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir)));
    }
}
