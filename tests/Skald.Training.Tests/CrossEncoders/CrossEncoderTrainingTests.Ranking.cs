using System.Text.Json;
using Skald.Training.CrossEncoders;
using Skald.Training.Modeling;

namespace Skald.Training.Tests.CrossEncoders;

/// <summary>
/// The learning-to-rank and distillation losses trained on ce-bert against torch
/// (fixtures/training/make_ranking_reference.py: upstream's losses restated over the padded logit matrix, 3 AdamW steps).
/// </summary>
public sealed partial class CrossEncoderTrainingTests
{
    [Theory]
    [InlineData("listnet")]
    [InlineData("lambda")]
    [InlineData("lambda_variant")]
    [InlineData("ranknet")]
    [InlineData("plistmle")]
    [InlineData("listmle")]
    public void ListwiseLossesMatchPyTorch(string name) =>
        RunReference(name, CreateRanking, (_, _, step) => ListBatch(step), "ranking", shiftInvariant: name != "lambda_variant"); // not through a sigmoid

    [Theory]
    [InlineData("ce_mse")]
    [InlineData("ce_margin_mse")]
    public void DistillationLossesMatchPyTorch(string name) => RunReference(name, CreateRanking, (_, _, step) =>
    {
        var rows = step.GetProperty("rows").EnumerateArray().Select(r => r.EnumerateArray().Select(t => t.GetString()!).ToArray()).ToArray();
        return new TrainingBatch([.. Enumerable.Range(0, rows[0].Length).Select(c => (IReadOnlyList<string>)[.. rows.Select(r => r[c])])],
            [.. step.GetProperty("labels").EnumerateArray().Select(x => x.GetSingle())]);
    }, "ranking", shiftInvariant: name == "ce_margin_mse"); // margins are differences of logits

    /// <summary>A step's listwise rows as the data set holds them: (query, doc_0 … doc_W−1), a shorter list padded (empty text, NaN label).</summary>
    internal static TrainingBatch ListBatch(JsonElement step)
    {
        var queries = step.GetProperty("queries").EnumerateArray().Select(q => q.GetString()!).ToArray();
        var docs = step.GetProperty("documents").EnumerateArray().Select(d => d.EnumerateArray().Select(t => t.GetString()!).ToArray()).ToArray();
        var labels = step.GetProperty("labels").EnumerateArray().Select(l => l.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        int width = docs.Max(d => d.Length);
        var columns = new List<IReadOnlyList<string>> { queries };
        for (int j = 0; j < width; j++) columns.Add([.. docs.Select(d => j < d.Length ? d[j] : "")]);
        var flat = labels.SelectMany(l => l.Concat(Enumerable.Repeat(float.NaN, width - l.Length))).ToArray();
        return new TrainingBatch(columns, flat);
    }

    private static CrossEncoderLoss CreateRanking(TrainableEncoder model, JsonElement run)
    {
        string loss = run.GetProperty("loss").GetString()!;
        bool sigmoid = run.TryGetProperty("activation", out var a) && a.GetString() == "sigmoid";
        int? k = run.TryGetProperty("k", out var kk) ? kk.GetInt32() : null;
        float sigma = run.TryGetProperty("sigma", out var s) ? s.GetSingle() : 1f;
        bool natural = run.TryGetProperty("reduction_log", out var r) && r.GetString() == "natural";
        bool inputOrder = !run.TryGetProperty("respect_input_order", out var o) || o.GetBoolean();
        return loss switch
        {
            "listnet" => new ListNetLoss(model, sigmoid),
            "listmle" => new PListMleLoss(model, weighted: false, inputOrder, sigmoid),
            "plistmle" => new PListMleLoss(model, weighted: true, inputOrder, sigmoid),
            "lambda" => new LambdaLoss(model, RankingLossTests.Scheme(run), k, sigma, naturalLog: natural, sigmoid: sigmoid),
            "ranknet" => new LambdaLoss(model, LambdaWeighting.None, k, sigma, naturalLog: natural, sigmoid: sigmoid),
            "ce_mse" => new CrossEncoderMseLoss(model, margin: false, sigmoid),
            _ => new CrossEncoderMseLoss(model, margin: true, sigmoid),
        };
    }
}
