using System.Numerics.Tensors;
using Skald.Models;
using Skald.Models.Architectures;

namespace Skald.Evaluation.Generation;

/// <summary>
/// BERTScore (Zhang et al., bert_score's <c>score</c>): each text's contextual token states from a Skald encoder
/// (<see cref="SentenceEncoder.TokenStates"/>: the last layer, the one Skald's models expose; bert_score's
/// <c>num_layers</c> is the same as scoring a model cut after that layer), L2-normalised; precision = Σ over prediction
/// tokens of w·max cosine to a reference token / Σ w, recall the same from the reference side, F = 2PR / (P + R) (0 when
/// not finite). Every token, special ones included, is a match candidate; special tokens (the tokenizer's post-processor
/// tokens: [CLS], [SEP]) weigh 0, others 1, or with idf weighting idf(w) = ln((M + 1) / (df(w) + 1)) over the M
/// references (df: references containing the token id; unseen ids ln(M + 1)). An empty side scores P = R = 0.
/// With a <see cref="BertScoreBaseline"/>, P, R and F are rescaled.
/// </summary>
/// <remarks>Upstream: https://github.com/Tiiiger/bert_score/blob/cb582ed5c88b02230b8f101173fd959b68023dc6/bert_score/utils.py
/// (get_idf_dict, greedy_cos_idf, bert_cos_score_idf) and bert_score/score.py (score).</remarks>
public sealed class BertScorer
{
    private readonly SentenceEncoder model;
    private readonly Dictionary<string, (float[] States, int[] Ids, bool[] Special)> cache = new(StringComparer.Ordinal);

    /// <summary>A scorer over <paramref name="model"/>'s token states.</summary>
    public BertScorer(SentenceEncoder model, bool idf = false, BertScoreBaseline? baseline = null)
    {
        this.model = model ?? throw new ArgumentNullException(nameof(model));
        Idf = idf;
        Baseline = baseline;
    }

    /// <summary>Whether tokens are weighted by their idf over the references.</summary>
    public bool Idf { get; }

    /// <summary>The baseline P, R and F are rescaled with, or null.</summary>
    public BertScoreBaseline? Baseline { get; }

    /// <summary>The layer whose states are scored (the model's last; the row a baseline file is read at).</summary>
    public int Layer => model.Transformer.Config.NumLayers;

    /// <summary>BERTScore of each prediction against the reference at the same index.</summary>
    public IReadOnlyList<PrfScore> Score(IReadOnlyList<string> references, IReadOnlyList<string> predictions)
    {
        if (references.Count != predictions.Count) throw new ArgumentException("one prediction per reference");
        Dictionary<int, double>? idf = null;
        double unseen = Math.Log(references.Count + 1);
        if (Idf)
        {
            var df = new Dictionary<int, int>();
            foreach (var r in references)
            {
                foreach (int id in States(r).Ids.Distinct()) df[id] = df.GetValueOrDefault(id) + 1;
            }
            idf = df.ToDictionary(kv => kv.Key, kv => Math.Log((references.Count + 1.0) / (kv.Value + 1.0)));
        }
        var result = new PrfScore[references.Count];
        for (int i = 0; i < result.Length; i++)
        {
            var s = Pair(States(references[i]), States(predictions[i]), idf, unseen);
            result[i] = Baseline is null ? s : Baseline.Rescale(s);
        }
        return result;
    }

    private PrfScore Pair((float[] States, int[] Ids, bool[] Special) reference, (float[] States, int[] Ids, bool[] Special) prediction,
        Dictionary<int, double>? idf, double unseen)
    {
        int c = model.Transformer.HiddenSize, nr = reference.Ids.Length, np = prediction.Ids.Length;
        bool emptyR = reference.Special.All(x => x), emptyP = prediction.Special.All(x => x);
        if (emptyR || emptyP) return new PrfScore(0, 0, 0);
        var sim = new double[np, nr];
        for (int i = 0; i < np; i++)
        {
            for (int j = 0; j < nr; j++)
                sim[i, j] = TensorPrimitives.Dot(prediction.States.AsSpan(i * c, c), reference.States.AsSpan(j * c, c));
        }
        double Weight((float[] States, int[] Ids, bool[] Special) t, int k) =>
            t.Special[k] ? 0 : idf is null ? 1 : idf.TryGetValue(t.Ids[k], out double w) ? w : unseen;
        double p = 0, pw = 0, r = 0, rw = 0;
        for (int i = 0; i < np; i++)
        {
            double best = double.NegativeInfinity;
            for (int j = 0; j < nr; j++) best = Math.Max(best, sim[i, j]);
            double w = Weight(prediction, i);
            p += w * best;
            pw += w;
        }
        for (int j = 0; j < nr; j++)
        {
            double best = double.NegativeInfinity;
            for (int i = 0; i < np; i++) best = Math.Max(best, sim[i, j]);
            double w = Weight(reference, j);
            r += w * best;
            rw += w;
        }
        p /= pw;
        r /= rw;
        double f = 2 * p * r / (p + r);
        return new PrfScore(p, r, double.IsFinite(f) ? f : 0);
    }

    /// <summary>The normalised token states [T, C], ids and special-token flags of <paramref name="text"/> (cached).</summary>
    private (float[] States, int[] Ids, bool[] Special) States(string text)
    {
        if (cache.TryGetValue(text, out var hit)) return hit;
        var encoding = model.Tokenize([text], new EncodeOptions { Prompt = "" })[0];
        var tokens = TokenBatch.Pad([encoding], model.PadId);
        int c = model.Transformer.HiddenSize;
        var states = new float[tokens.Count * c];
        model.TokenStates(tokens, states);
        for (int t = 0; t < tokens.Count; t++)
        {
            var row = states.AsSpan(t * c, c);
            float norm = TensorPrimitives.Norm(row);
            if (norm > 0) TensorPrimitives.Divide(row, norm, row);
        }
        var entry = (states, encoding.Ids, encoding.SpecialTokensMask.Select(m => m == 1).ToArray());
        cache[text] = entry;
        return entry;
    }
}
