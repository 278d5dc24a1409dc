using System.Text.Json;
using Skald.Models.Architectures;
using Skald.Tensors.Autograd;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// A fixture's <c>expected_training.json</c> (make_norbert.py's <c>gradient_case</c>, also make_distilbert.py's): for
/// L = Σ r ⊙ embeddings(padded batch), the loss and sampled gradients of every parameter from torch autograd in float64,
/// and the readers of the fixtures' padded-batch JSON shared by the encoder parity tests.
/// </summary>
internal static class PooledLossReference
{
    /// <summary>The padded batch of <c>input_ids</c> / <c>attention_mask</c> in <paramref name="r"/> (token types 0).</summary>
    public static TokenBatch Tokens(JsonElement r)
    {
        var ids = Ints2(r.GetProperty("input_ids"));
        var mask = Ints2(r.GetProperty("attention_mask"));
        int b = ids.Length, t = ids[0].Length;
        return new TokenBatch([.. ids.SelectMany(x => x)], [.. mask.SelectMany(x => x)], new int[b * t], b, t);
    }

    /// <summary>A JSON array of float arrays.</summary>
    public static float[] Floats(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetSingle())];

    /// <summary>
    /// The largest difference between <paramref name="hidden"/> [B·T, <paramref name="width"/>] and the
    /// <paramref name="expected"/> states of each row's real tokens (wherever the row's padding puts them); each must be
    /// within <paramref name="tolerance"/>.
    /// </summary>
    public static float CompareRealTokens(float[][][] expected, TokenBatch tokens, ReadOnlySpan<float> hidden, int width, string what, float tolerance)
    {
        float worst = 0;
        int t = tokens.Seq;
        for (int b = 0; b < expected.Length; b++)
        {
            int first = tokens.Mask.AsSpan(b * t, t).IndexOf(1); // 0 right-padded, T − n left-padded
            for (int i = 0; i < expected[b].Length; i++)
                for (int j = 0; j < width; j++)
                {
                    float got = hidden[(b * t + first + i) * width + j];
                    float d = MathF.Abs(got - expected[b][i][j]);
                    Assert.True(d <= tolerance, $"{what}: row {b} token {i} dim {j}: {got} vs {expected[b][i][j]}");
                    worst = MathF.Max(worst, d);
                }
        }
        return worst;
    }

    /// <summary>
    /// Checks that <paramref name="encoder"/> tokenizes the texts of <paramref name="folder"/>'s expected_st.jsonl to the
    /// tokenizer oracle's ids and embeds them (one padded batch) within <paramref name="tolerance"/> of the reference.
    /// Returns the largest difference.
    /// </summary>
    public static float CheckTextEmbeddings(SentenceEncoder encoder, string folder, float tolerance)
    {
        var rows = File.ReadLines(Path.Combine(folder, "expected_st.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var texts = rows.Select(r => r.GetProperty("text").GetString()!).ToList();
        var encodings = encoder.Tokenize(texts);
        for (int i = 0; i < rows.Count; i++)
            Assert.Equal(rows[i].GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()), encodings[i].Ids);
        var embeddings = encoder.Encode(texts); // one padded batch, sorted by length
        float worst = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            var expected = Floats(rows[i].GetProperty("embedding"));
            Assert.Equal(expected.Length, embeddings[i].Length);
            for (int j = 0; j < expected.Length; j++)
            {
                float d = MathF.Abs(expected[j] - embeddings[i][j]);
                Assert.True(d <= tolerance, $"text {i} dim {j}: {embeddings[i][j]} vs {expected[j]}");
                worst = MathF.Max(worst, d);
            }
        }
        return worst;
    }

    private static int[][] Ints2(JsonElement e) => [.. e.EnumerateArray().Select(x => x.EnumerateArray().Select(y => y.GetInt32()).ToArray())];

    private static (TokenBatch Tokens, float[] Weights, JsonDocument Doc) Read(string folder)
    {
        var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected_training.json")));
        var r = doc.RootElement;
        return (Tokens(r), [.. r.GetProperty("weights").EnumerateArray().SelectMany(Floats)], doc);
    }

    /// <summary>
    /// Checks <paramref name="encoder"/>'s loss and gradients against <paramref name="folder"/>'s expected_training.json
    /// (each sampled value within <paramref name="tolerance"/>, each norm within 1e-4); with <paramref name="everyParameter"/>
    /// the file must name exactly the encoder's parameters. Returns the largest difference.
    /// </summary>
    public static double CheckGradients(SentenceEncoder encoder, string folder, float tolerance, bool everyParameter = false)
    {
        var (tokens, weights, doc) = Read(folder);
        using var _ = doc;
        var r = doc.RootElement;
        var tape = new Tape();
        foreach (var p in encoder.Parameters) p.Grad.Span.Clear();
        var y = encoder.Forward(tape, tokens);
        double loss = 0;
        for (int i = 0; i < weights.Length; i++) loss += (double)weights[i] * y.Span[i];
        Assert.Equal(r.GetProperty("loss").GetDouble(), loss, 1e-5);
        tape.Seed(y, weights);
        tape.Backward();
        var byName = encoder.Parameters.ToDictionary(p => p.Name);
        var expected = r.GetProperty("gradients").EnumerateObject().ToList();
        if (everyParameter)
            Assert.Equal(byName.Keys.Order(StringComparer.Ordinal), expected.Select(g => g.Name).Order(StringComparer.Ordinal));
        double worst = 0;
        foreach (var g in expected)
        {
            var grad = byName[g.Name].Grad.Span;
            var index = g.Value.GetProperty("index").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var value = g.Value.GetProperty("value").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            for (int i = 0; i < index.Length; i++)
            {
                double d = Math.Abs(grad[index[i]] - value[i]);
                Assert.True(d <= tolerance, $"{g.Name}[{index[i]}]: {grad[index[i]]} vs {value[i]}");
                worst = Math.Max(worst, d);
            }
            double norm = Math.Sqrt(grad.ToArray().Sum(x => (double)x * x));
            Assert.Equal(g.Value.GetProperty("norm").GetDouble(), norm, 1e-4);
        }
        return worst;
    }

    /// <summary>
    /// A training pass with dropout 0.2 over <paramref name="folder"/>'s batch gives the same output and gradients with
    /// gradient checkpointing (the recomputed layers redraw the same masks), and dropout changes the output.
    /// </summary>
    public static void CheckDropoutCheckpointing(SentenceEncoder encoder, string folder)
    {
        var (tokens, weights, doc) = Read(folder);
        doc.Dispose();
        (float[] Output, float[][] Grads) Run(bool checkpointing, float dropout)
        {
            foreach (var p in encoder.Parameters) p.Grad.Span.Clear();
            var tape = new Tape { Dropout = dropout, Training = true, Random = new Skald.Tensors.SkaldRandom(5), Checkpointing = checkpointing };
            var y = encoder.Forward(tape, tokens);
            var output = y.Span.ToArray();
            tape.Seed(y, weights);
            tape.Backward();
            return (output, [.. encoder.Parameters.Select(p => p.Grad.ToArray())]);
        }
        var plain = Run(false, 0.2f);
        var checkpointed = Run(true, 0.2f);
        Assert.Equal(plain.Output, checkpointed.Output);
        for (int i = 0; i < plain.Grads.Length; i++) Assert.Equal(plain.Grads[i], checkpointed.Grads[i]);
        Assert.NotEqual(Run(false, 0f).Output, plain.Output);
    }
}
