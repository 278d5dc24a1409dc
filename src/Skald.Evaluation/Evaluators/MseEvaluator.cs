using Skald.Evaluation.Data;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Retrieval.Metrics;
using Skald.Retrieval.Models;
using Skald.Retrieval.Scoring;

namespace Skald.Evaluation.Evaluators;

/// <summary>
/// Knowledge distillation, sentence-transformers' <c>MSEEvaluator</c>: the <paramref name="teacher"/> embeds each row's
/// <c>source</c>, the model its <c>target</c> (a bitext-shaped JSONL: <c>{"source","target"}</c>; the same text twice
/// for a monolingual student), scored by <see cref="EmbeddingMse.NegativeMse"/> (<c>negative_mse</c>, main: −100 ·
/// MSE; <c>mse</c>: 100 · MSE). The teacher's embeddings are computed once per evaluator, as upstream computes them in
/// its constructor, so evaluating after every training step embeds only the student's side. Upstream's
/// <c>truncate_dim</c> cuts both sides: give the teacher the student's <see cref="Skald.Evaluation.Models.EvaluationEmbeddingOptions.TruncateDim"/>
/// (<c>skald evaluate --truncate-dim</c> does); two widths are one line. A sparse student adds SparseMSEEvaluator's
/// <c>active_dims</c> and <c>sparsity_ratio</c> of its embeddings of the targets (<see cref="SparsityMetrics"/>).
/// </summary>
/// <remarks>
/// Upstream: https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/evaluation/MSEEvaluator.py,
/// https://github.com/UKPLab/sentence-transformers/blob/85ec64559f4414aa536eca4bf53538291e0a333f/sentence_transformers/sparse_encoder/evaluation/SparseMSEEvaluator.py
/// </remarks>
public sealed class MseEvaluator(TaskDefinition task, IEmbeddingModel? teacher) : TaskEvaluator(task)
{
    private List<(string Source, string Target)>? pairs;
    private float[][]? teacherEmbeddings;

    /// <summary>The model that embeds the sources.</summary>
    public IEmbeddingModel? Teacher { get; } = teacher;

    /// <inheritdoc/>
    public override string MainMetric => "negative_mse";

    /// <inheritdoc/>
    protected override SortedDictionary<string, double> Compute(IEvaluationModel model, IDictionary<string, string> metadata)
    {
        if (Teacher is null)
            throw new EvaluationException($"{Task.Path}: an mse task compares the model with a teacher model; give one (skald evaluate --teacher DIR)");
        var student = RequireEmbeddings(model);
        pairs ??= Datasets.LoadBitext(Task.Path, Task.Limit);
        teacherEmbeddings ??= Teacher.Embed([.. pairs.Select(p => p.Source)], TextRole.Text);
        var studentEmbeddings = student.Embed([.. pairs.Select(p => p.Target)], TextRole.Text);
        if (teacherEmbeddings[0].Length != studentEmbeddings[0].Length)
            throw new EvaluationException($"{Task.Path}: the teacher {Teacher.Name} embeds in {teacherEmbeddings[0].Length} dimensions, the model {model.Name} in {studentEmbeddings[0].Length}; an mse task needs one width");
        double negative = EmbeddingMse.NegativeMse(teacherEmbeddings, studentEmbeddings);
        metadata["pairs"] = Str(pairs.Count);
        metadata["teacher"] = Teacher.Name;
        var m = new SortedDictionary<string, double>(StringComparer.Ordinal) { ["negative_mse"] = negative, ["mse"] = -negative };
        SparsityMetrics.AddIfSparse(m, student, "", studentEmbeddings);
        return m;
    }
}
