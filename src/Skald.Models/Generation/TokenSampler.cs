using Skald.Tensors;

namespace Skald.Models.Generation;

/// <summary>
/// Picks each row's next token from its logits as transformers' generate does (<see cref="LogitsProcessors"/>):
/// repetition penalty over the tokens the row has seen (prompt and generated), then greedy argmax, or temperature,
/// top-k, top-p and a draw from the row's own generator, with one options for every row or each row its own. Row i of the input draws from a stream seeded by
/// (seed, i), so a row's tokens do not depend on what it is batched with. Scratch buffers are reused across steps.
/// </summary>
public sealed class TokenSampler
{
    private readonly GenerationOptions? shared;
    private readonly List<GenerationOptions>? perRow;
    private readonly int vocab;
    private readonly float[] values;
    private readonly int[] order;
    private readonly List<HashSet<int>> seen = [];
    private readonly List<int[]> seenList = [];
    private readonly List<int> seenCount = [];
    private readonly List<SkaldRandom> random = [];

    /// <summary>A sampler over a vocabulary of <paramref name="vocab"/> logits, every row with <paramref name="options"/>.</summary>
    public TokenSampler(GenerationOptions options, int vocab)
    {
        options.Validate();
        shared = options;
        this.vocab = vocab;
        values = new float[vocab];
        order = new int[vocab];
    }

    /// <summary>A sampler over a vocabulary of <paramref name="vocab"/> logits, row b with <paramref name="rowOptions"/>[b].</summary>
    public TokenSampler(IReadOnlyList<GenerationOptions> rowOptions, int vocab)
    {
        foreach (var o in rowOptions) o.Validate(nameof(rowOptions));
        perRow = [.. rowOptions];
        this.vocab = vocab;
        values = new float[vocab];
        order = new int[vocab];
    }

    private GenerationOptions Options(int b) => perRow is null ? shared! : perRow[b];

    /// <summary>Starts a batch: row b is input row <paramref name="rowIndices"/>[b] and has seen its prompt.</summary>
    public void Begin(IReadOnlyList<IReadOnlyList<int>> prompts, IReadOnlyList<int> rowIndices)
    {
        seen.Clear();
        seenList.Clear();
        seenCount.Clear();
        random.Clear();
        for (int b = 0; b < prompts.Count; b++)
        {
            int most = Math.Max(16, prompts[b].Count + Options(b).MaxNewTokens);
            seen.Add(Seen(Options(b), most));
            seenList.Add(new int[most]);
            seenCount.Add(0);
            foreach (int id in prompts[b]) Observe(b, id);
            random.Add(new SkaldRandom(RowSeed(Options(b).Seed, rowIndices[b])));
        }
    }

    /// <summary>
    /// Gives row <paramref name="b"/> (an existing row, or the next one) to a new sequence with its own
    /// <paramref name="options"/> (a request joining a running batch): it has seen <paramref name="prompt"/> only and
    /// draws from the stream of <paramref name="options"/>' seed for input row <paramref name="rowIndex"/>, as it would
    /// have from <see cref="Begin"/>. Only for a sampler with per-row options.
    /// </summary>
    public void Restart(int b, IReadOnlyList<int> prompt, GenerationOptions options, int rowIndex)
    {
        if (perRow is null) throw new InvalidOperationException("only a sampler with per-row options takes a new row");
        if (b < 0 || b > seen.Count) throw new ArgumentOutOfRangeException(nameof(b), $"row {b} of {seen.Count}");
        options.Validate();
        var list = new int[Math.Max(16, prompt.Count + options.MaxNewTokens)];
        var stream = new SkaldRandom(RowSeed(options.Seed, rowIndex));
        if (b == seen.Count)
        {
            seen.Add(Seen(options, list.Length));
            seenList.Add(list);
            seenCount.Add(0);
            random.Add(stream);
            if (perRow.Count == b) perRow.Add(options);
        }
        else
        {
            seen[b] = Seen(options, list.Length);
            seenList[b] = list;
            seenCount[b] = 0;
            random[b] = stream;
        }
        perRow[b] = options;
        foreach (int id in prompt) Observe(b, id);
    }

    // A row's set of seen ids: with a repetition penalty, room for every id it can see (no growth during the steps);
    // without one it stays empty.
    private static HashSet<int> Seen(GenerationOptions options, int most) =>
        options.RepetitionPenalty == 1f ? [] : new HashSet<int>(most);

    /// <summary>Records that row <paramref name="b"/> now contains <paramref name="id"/>.</summary>
    public void Observe(int b, int id)
    {
        if (Options(b).RepetitionPenalty == 1f || !seen[b].Add(id)) return;
        var list = seenList[b];
        if (seenCount[b] == list.Length) seenList[b] = list = [.. list, .. new int[list.Length]];
        list[seenCount[b]++] = id;
    }

    /// <summary>Row <paramref name="b"/>'s next token from its logits [V] (processed in place).</summary>
    public int Next(int b, Span<float> logits)
    {
        if (logits.Length != vocab) throw new ArgumentException($"expected {vocab} logits, got {logits.Length}");
        var options = Options(b);
        LogitsProcessors.RepetitionPenalty(logits, seenList[b].AsSpan(0, seenCount[b]), options.RepetitionPenalty);
        if (!options.Sampling)
        {
            LogitsProcessors.Finite(logits);
            return LogitsProcessors.ArgMax(logits);
        }
        LogitsProcessors.Temperature(logits, options.Temperature);
        LogitsProcessors.Finite(logits);
        if (options.TopK > 0) LogitsProcessors.TopK(logits, options.TopK, values);
        LogitsProcessors.TopP(logits, options.TopP, values, order);
        return LogitsProcessors.Sample(logits, random[b].NextDouble());
    }

    /// <summary>The seed of input row <paramref name="row"/>'s stream.</summary>
    public static ulong RowSeed(ulong seed, int row) => unchecked(seed * 0x9E3779B97F4A7C15UL + (ulong)row * 0xBF58476D1CE4E5B9UL + 1UL);
}
