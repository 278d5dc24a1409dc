using System.CommandLine;
using System.Globalization;
using Skald.Models.BgeM3;

namespace Skald.Cli.CommandLine;

/// <summary>The <c>--bge-m3-weights</c> option of <c>skald evaluate</c>, <c>rerank</c>, <c>search</c> and <c>serve</c>: BGE-M3's score weights.</summary>
internal static class BgeM3Options
{
    /// <summary>A new <c>--bge-m3-weights</c> option, described for <paramref name="use"/>, whose default <paramref name="fallback"/> describes.</summary>
    public static Option<string> Weights(string use, string fallback = "1,1,1") => CliOptions.Text("--bge-m3-weights",
        $"BGE-M3 folders: {use} weights the dense, sparse and colbert scores as FlagEmbedding's compute_score: (w1·dense + w2·sparse + w3·colbert) / (w1 + w2 + w3) [default: {fallback}; the model card suggests 0.4,0.2,0.4]",
        "W1,W2,W3");

    /// <summary>The weights <paramref name="value"/> gives (three numbers, none negative, not all 0), or 1,1,1 when null.</summary>
    public static BgeM3Weights Parse(string? value)
    {
        if (value is null) return BgeM3Weights.Equal;
        var items = CliOptions.Items(value);
        var numbers = new float[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            if (!float.TryParse(items[i], NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]))
                throw new UsageException($"--bge-m3-weights: '{items[i]}' is not a number (give three, e.g. 0.4,0.2,0.4)");
        }
        try
        {
            return BgeM3Weights.Of(numbers);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--bge-m3-weights: {e.Message.Split(" (Parameter", 2)[0]}");
        }
    }
}
