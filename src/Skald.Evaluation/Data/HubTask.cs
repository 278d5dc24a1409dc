using System.Security.Cryptography;
using System.Text;
using Skald.Hub;
using Skald.Retrieval;
using Skald.Retrieval.Data;

namespace Skald.Evaluation.Data;

/// <summary>
/// An evaluation task given as a hub dataset id (<c>org/name[@revision][:[subset/]split]</c>, MTEB's and BEIR's dataset
/// layouts; <see cref="HubResolver.ResolveTask"/>) turned into the local layout <see cref="TaskDefinition"/> reads: its
/// files are fetched into the shared hub cache, then a small view in the temp folder links to them under the names the
/// readers expect, <c>{name}/corpus.parquet</c>, <c>{name}/queries.parquet</c>, <c>{name}/qrels/{split}.parquet</c> for a
/// retrieval task (several shards are joined into one JSON-lines or TSV file there), <c>{name}/train.parquet</c> and
/// <c>{name}/test.parquet</c> for a classification task, <c>{name}.parquet</c> otherwise, so the task is named after the
/// repository.
/// </summary>
public static class HubTask
{
    /// <summary>
    /// <paramref name="pathOrId"/> itself when a file or folder of that name exists or when it is not a dataset reference;
    /// otherwise the local task folder or file of the dataset (<paramref name="split"/> unless the reference names one).
    /// </summary>
    public static string Locate(string pathOrId, string split, IProgress<HubProgress>? progress = null)
    {
        if (Directory.Exists(pathOrId) || File.Exists(pathOrId) || DatasetRef.TryParse(pathOrId) is not { } dataset) return pathOrId;
        return Resolve(dataset, split, progress);
    }

    /// <summary>
    /// The local task folder or file of <paramref name="dataset"/>, with settings from the environment. A split of
    /// labelled texts (columns <c>text</c> and <c>label</c>) in a repository that also has a train split is a
    /// classification task: the train split is fetched too (see <see cref="ClassificationView"/>).
    /// </summary>
    public static string Resolve(DatasetRef dataset, string split, IProgress<HubProgress>? progress = null)
    {
        using var resolver = new HubResolver(HubSettings.FromEnvironment());
        var task = resolver.ResolveTask(dataset, split, progress);
        if (MayBeClassification(task))
        {
            var train = resolver.ResolveTask(dataset with { Split = "train" }, "train", progress);
            if (!train.Files.SequenceEqual(task.Files, StringComparer.Ordinal)) return ClassificationView(task, train, resolver.Cache.Root);
        }
        return View(task, resolver.Cache.Root);
    }

    /// <summary>The view of <paramref name="task"/> (from the cache at <paramref name="cacheRoot"/>) in the temp folder.</summary>
    public static string View(HubTaskFiles task, string cacheRoot)
    {
        string root = Root(task, cacheRoot);
        if (!task.IsRetrieval)
        {
            if (task.Files.Count != 1)
            {
                throw new EvaluationException($"{task.Id}: split {task.Split} has {task.Files.Count} files " +
                    $"({string.Join(", ", task.Files.Select(Path.GetFileName))}); a task of this type is one file: join them, or pass one file as --task");
            }
            return Link(Path.Combine(root, task.Name + Path.GetExtension(task.Files[0])), task.Files[0]);
        }
        string folder = Path.Combine(root, task.Name);
        Part(folder, "corpus", task.Corpus, "text", "title");
        Part(folder, "queries", task.Queries, "text");
        Qrels(Path.Combine(folder, "qrels"), task.Split, task.Files);
        return folder;
    }

    /// <summary>
    /// The view of a classification task in the temp folder: <c>{name}/train.parquet|.jsonl</c> (the files of
    /// <paramref name="train"/>) and <c>{name}/test.parquet|.jsonl</c> (the split of <paramref name="task"/>, whatever
    /// its name), the layout <see cref="Evaluators.ClassificationEvaluator"/> reads.
    /// </summary>
    public static string ClassificationView(HubTaskFiles task, HubTaskFiles train, string cacheRoot)
    {
        string folder = Path.Combine(Root(task, cacheRoot), task.Name);
        Part(folder, "train", train.Files, "text");
        Part(folder, "test", task.Files, "text");
        return folder;
    }

    /// <summary>Whether the task's split is labelled texts and the repository has a train split besides it.</summary>
    private static bool MayBeClassification(HubTaskFiles task)
    {
        if (task.IsRetrieval || task.Split is "train" or "training" || !task.Splits.Contains("train") || task.Files.Count == 0) return false;
        try
        {
            return TaskDefinition.Infer(task.Files[0]) == TaskKind.Clustering; // the columns text and label
        }
        catch (EvaluationException)
        {
            return false;
        }
    }

    /// <summary>The temp folder for the views of one split of one commit (per hub cache).</summary>
    private static string Root(HubTaskFiles task, string cacheRoot)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cacheRoot)))[..12];
        return Path.Combine(Path.GetTempPath(), "skald-tasks", hash, task.Id.FolderName, task.Commit,
            task.Subset is null ? task.Split : task.Subset + "--" + task.Split);
    }

    /// <summary>
    /// <c>{stem}.parquet</c> or <c>{stem}.jsonl</c> linking to the one shard, or a JSON-lines file joining them; each
    /// Parquet shard's <paramref name="textColumns"/> are schema-checked first (the join writes every value as a JSON
    /// string, so a numeric text column would otherwise pass as its digits).
    /// </summary>
    private static void Part(string folder, string stem, IReadOnlyList<string> shards, params string[] textColumns)
    {
        Directory.CreateDirectory(folder);
        foreach (string ext in new[] { ".jsonl", ".parquet" }) File.Delete(Path.Combine(folder, stem + ext));
        if (shards.Count == 1)
        {
            Link(Path.Combine(folder, stem + Path.GetExtension(shards[0]).ToLowerInvariant()), shards[0]);
            return;
        }
        foreach (string shard in shards) DataFiles.RequireText(shard, textColumns);
        Write(Path.Combine(folder, stem + ".jsonl"), w =>
        {
            foreach (string shard in shards)
            {
                foreach (string line in DataFiles.ReadJsonLines(shard, (e, _) => e.GetRawText())) w.WriteLine(line);
            }
        });
    }

    /// <summary><c>qrels/{split}.parquet|.tsv</c> linking to the one file, or a TSV joining them; nothing else in qrels/.</summary>
    private static void Qrels(string folder, string split, IReadOnlyList<string> files)
    {
        if (Directory.Exists(folder))
        {
            foreach (string old in Directory.GetFiles(folder)) File.Delete(old);
        }
        if (files.Count == 1)
        {
            Link(Path.Combine(folder, split + Path.GetExtension(files[0]).ToLowerInvariant()), files[0]);
            return;
        }
        Write(Path.Combine(folder, split + ".tsv"), w =>
        {
            w.WriteLine("query-id\tcorpus-id\tscore");
            foreach (string file in files)
            {
                foreach (var (values, _) in DataFiles.ReadTsv(file, "query-id", "corpus-id", "score")) w.WriteLine(string.Join('\t', values));
            }
        });
    }

    /// <summary>Points <paramref name="path"/> at <paramref name="target"/> (a new link renamed into place).</summary>
    private static string Link(string path, string target)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string tmp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.CreateSymbolicLink(tmp, target);
        File.Move(tmp, path, overwrite: true);
        return path;
    }

    private static void Write(string path, Action<StreamWriter> write)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string tmp = $"{path}.{Guid.NewGuid():N}.tmp";
        using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false)) { NewLine = "\n" }) write(w);
        File.Move(tmp, path, overwrite: true);
    }
}
