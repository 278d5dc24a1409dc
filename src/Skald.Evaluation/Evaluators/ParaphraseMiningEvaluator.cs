using Skald.Evaluation.Data;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Retrieval.Mining;
using Skald.Retrieval.Models;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// Paraphrase mining, sentence-transformers' <c>ParaphraseMiningEvaluator</c>: every text of a
/// <see cref="Datasets.LoadParaphrases"/> file is embedded, the texts are mined against each other by cosine
/// (<see cref="ParaphraseMining.Mine"/>, top 100 a text, 500 000 pairs) and the pairs, best first, scored against the
/// known duplicates by <see cref="ParaphraseMining.Evaluate"/>: <c>average_precision</c> (main) and the best cut's
/// <c>f1</c>, <c>precision</c>, <c>recall</c> and <c>threshold</c>; with upstream's transitive closure of the duplicates when
/// the task asks for it (<see cref="TaskDefinition.AddTransitiveClosure"/>; off by default, as upstream's).
/// </summary>
/// <remarks>Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/ParaphraseMiningEvaluator.py</remarks>
public sealed class ParaphraseMiningEvaluator(TaskDefinition task) : TaskEvaluator(task)
{
    /// <inheritdoc/>
    public override string MainMetric => "average_precision";

    /// <inheritdoc/>
    protected override SortedDictionary<string, double> Compute(IEvaluationModel model, IDictionary<string, string> metadata)
    {
        var set = Datasets.LoadParaphrases(Task.Path, Task.Limit);
        var embeddings = RequireEmbeddings(model).Embed(set.Texts, TextRole.Text);
        var s = ParaphraseMining.Evaluate(embeddings, set.Duplicates, Task.AddTransitiveClosure);
        metadata["texts"] = Str(set.Texts.Count);
        metadata["duplicates"] = Str(s.Duplicates);
        if (Task.AddTransitiveClosure) metadata["add_transitive_closure"] = "true";
        return new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["average_precision"] = s.AveragePrecision,
            ["f1"] = s.F1,
            ["precision"] = s.Precision,
            ["recall"] = s.Recall,
            ["threshold"] = s.Threshold,
        };
    }
}
