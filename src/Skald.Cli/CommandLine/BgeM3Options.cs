using System.CommandLine;
using System.Globalization;
using Skald.Models.BgeM3;
using Skald.Retrieval.Data;
using Skald.Retrieval.Index;

namespace Skald.Cli.CommandLine;

/// <summary>
/// The <c>--bge-m3-weights</c> option of <c>skald evaluate</c>, <c>rerank</c>, <c>search</c> and <c>serve</c> (BGE-M3's
/// score weights), and the outputs <c>skald index build --bge-m3</c> stores.
/// </summary>
internal static class BgeM3Options
{
    /// <summary>
    /// A new <c>--bge-m3-weights</c> option (or <paramref name="name"/>, e.g. <c>serve --reranker-bge-m3-weights</c>),
    /// described for <paramref name="use"/>, whose default <paramref name="fallback"/> describes.
    /// </summary>
    public static Option<string> Weights(string use, string fallback = "1,1,1", string name = "--bge-m3-weights") => CliOptions.Text(name,
        $"BGE-M3 folders: {use} weights the dense, sparse and colbert scores as FlagEmbedding's compute_score: (w1·dense + w2·sparse + w3·colbert) / (w1 + w2 + w3) [default: {fallback}; the model card suggests 0.4,0.2,0.4]",
        "W1,W2,W3");

    /// <summary>
    /// The weights <paramref name="value"/> gives (three numbers, none negative, not all 0), or 1,1,1 when null; a bad
    /// value is a usage error naming <paramref name="name"/>.
    /// </summary>
    public static BgeM3Weights Parse(string? value, string name = "--bge-m3-weights")
    {
        if (value is null) return BgeM3Weights.Equal;
        var items = CliOptions.Items(value);
        var numbers = new float[items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            if (!float.TryParse(items[i], NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]))
                throw new UsageException($"{name}: '{items[i]}' is not a number (give three, e.g. 0.4,0.2,0.4)");
        }
        try
        {
            return BgeM3Weights.Of(numbers);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{name}: {e.Message.Split(" (Parameter", 2)[0]}");
        }
    }

    /// <summary>
    /// The weights over a BGE-M3 <paramref name="index"/>: <paramref name="given"/> (as <see cref="Parse"/> reads it), or
    /// 1 for each output the index stores (<see cref="TextIndex.DefaultWeights"/>) when null; weights that use an output
    /// the index does not store are a usage error in one line naming the option.
    /// </summary>
    public static BgeM3Weights ForIndex(string? given, SearchIndex index)
    {
        var weights = given is null ? TextIndex.DefaultWeights(index) : Parse(given);
        try
        {
            index.CheckWeights(weights);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--bge-m3-weights {given}: {e.Message.Split(" (Parameter", 2)[0]}");
        }
        return weights;
    }

    /// <summary>
    /// A new <c>--bge-m3</c> option of <c>index build</c>: dense, sparse, colbert, a comma list of them, or all; a value
    /// naming anything else is refused while the command line is read, in one line naming the option.
    /// </summary>
    public static Option<string> Outputs(string description)
    {
        var option = new Option<string>("--bge-m3") { Description = description, HelpName = "dense|sparse|colbert[,...]|all" };
        option.CompletionSources.Add(OutputNames);
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && OutputsError(r.Tokens[0].Value) is { } error) r.AddError(error);
        });
        return option;
    }

    /// <summary>The outputs an <c>--bge-m3</c> value names (checked by the option's validator: <see cref="Outputs(string)"/>).</summary>
    public static BgeM3Outputs ParseOutputs(string value)
    {
        if (OutputsError(value) is { } error) throw new UsageException(error);
        BgeM3Outputs outputs = 0;
        foreach (string name in CliOptions.Items(value)) outputs |= BgeM3Storage.Parse(name)!.Value;
        return outputs;
    }

    private static readonly string[] OutputNames = ["dense", "sparse", "colbert", "all"];

    // Why an --bge-m3 value is no set of outputs (null: it is one).
    private static string? OutputsError(string value)
    {
        var items = CliOptions.Items(value);
        if (items.Length == 0) return $"option --bge-m3 names no output in '{value}' (give dense, sparse, colbert, a comma list of them, or all)";
        foreach (string item in items)
        {
            if (BgeM3Storage.Parse(item) is not null) continue;
            return Typos.Closest(item, OutputNames) is { } near
                ? $"option --bge-m3 got '{item}'; did you mean '{near}'? (give dense, sparse, colbert, a comma list of them, or all)"
                : $"option --bge-m3 got '{item}', which is no BGE-M3 output (give dense, sparse, colbert, a comma list of them, or all)";
        }
        return null;
    }
}
