namespace Skald.Data.Translate;

/// <summary>
/// Rule-based translation between Bokmål, Nynorsk, Danish and Swedish with Apertium (the Debian packages
/// <c>apertium</c> plus a language pair: <c>apertium-nno-nob</c>, <c>apertium-dan-nor</c>, <c>apertium-swe-nor</c>,
/// <c>apertium-swe-dan</c>). Texts go through one <c>apertium -u MODE</c> process per batch, one text per paragraph;
/// unknown words are left as they are (<c>-u</c>: no '*' marks).
/// </summary>
public sealed class ApertiumTranslator
{
    private static readonly Dictionary<string, string> Codes = new(StringComparer.Ordinal) { ["nb"] = "nob", ["nn"] = "nno", ["da"] = "dan", ["sv"] = "swe" };

    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        ["nno-nob"] = "apertium-nno-nob", ["nob-nno"] = "apertium-nno-nob",
        ["dan-nob"] = "apertium-dan-nor", ["nob-dan"] = "apertium-dan-nor", ["dan-nno"] = "apertium-dan-nor", ["nno-dan"] = "apertium-dan-nor",
        ["swe-nob"] = "apertium-swe-nor", ["nob-swe"] = "apertium-swe-nor", ["swe-nno"] = "apertium-swe-nor", ["nno-swe"] = "apertium-swe-nor",
        ["swe-dan"] = "apertium-swe-dan", ["dan-swe"] = "apertium-swe-dan",
    };

    /// <summary>Where Debian installs the pairs' mode files.</summary>
    public const string ModesDirectory = "/usr/share/apertium/modes";

    private ApertiumTranslator(string mode) => Mode = mode;

    /// <summary>The Apertium mode used, e.g. <c>nob-nno</c>.</summary>
    public string Mode { get; }

    /// <summary>True when the <c>apertium</c> program is on the PATH.</summary>
    public static bool IsInstalled() => IO.ExternalProgram.Find("apertium") is not null;

    /// <summary>True when the pair for <paramref name="from"/> → <paramref name="to"/> is installed.</summary>
    public static bool HasPair(string from, string to) =>
        IsInstalled() && Codes.TryGetValue(from, out var f) && Codes.TryGetValue(to, out var t) && File.Exists(Path.Combine(ModesDirectory, $"{f}-{t}.mode"));

    /// <summary>A translator for <paramref name="from"/> → <paramref name="to"/> (nb, nn, da, sv), or one clear <see cref="DataException"/>.</summary>
    public static ApertiumTranslator Create(string from, string to)
    {
        if (!Codes.TryGetValue(from, out var f) || !Codes.TryGetValue(to, out var t) || from == to)
            throw new DataException($"unknown language pair {from} → {to} (Apertium pairs here: nb, nn, da and sv to one another)");
        string mode = $"{f}-{t}";
        string package = Packages.GetValueOrDefault(mode, "an apertium language pair");
        if (!IsInstalled()) throw new DataException($"apertium is not installed (Debian: apt-get install apertium {package})");
        if (!File.Exists(Path.Combine(ModesDirectory, mode + ".mode")))
            throw new DataException($"apertium has no {mode} pair installed for {from} → {to} (Debian: apt-get install {package})");
        return new ApertiumTranslator(mode);
    }

    /// <summary>The translations of <paramref name="texts"/>, in order (line breaks inside a text become spaces).</summary>
    public List<string> Translate(IReadOnlyList<string> texts, int batchSize = 500)
    {
        var result = new List<string>(texts.Count);
        for (int start = 0; start < texts.Count; start += batchSize)
        {
            var batch = texts.Skip(start).Take(batchSize).Select(Flatten).ToList();
            var output = Run(string.Join("\n\n", batch) + "\n");
            var pieces = output.Replace("\r", "").TrimEnd('\n').Split("\n\n");
            if (pieces.Length == batch.Count) result.AddRange(pieces.Select(p => p.Trim()));
            else result.AddRange(batch.Select(t => Run(t + "\n").Trim())); // the batch did not split cleanly: one at a time
        }
        return result;
    }

    private static string Flatten(string text) => string.Join(' ', text.Split((char[])['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries)).Trim();

    private string Run(string input)
    {
        var (exit, output, error) = IO.ExternalProgram.Run("apertium", ["-u", Mode], input);
        if (exit != 0) throw new DataException($"apertium {Mode} failed (exit {exit}): {IO.ExternalProgram.FirstLine(error)}");
        return output;
    }
}
