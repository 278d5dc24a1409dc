using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Skald.Retrieval.Data;

namespace Skald.Cli.CommandLine;

/// <summary>
/// Builders for the options the verbs share in shape: text values, flags, whole numbers and numbers with a lower bound
/// (a bad value is a parse error naming the option and the value, so it exits 2 before any work starts).
/// </summary>
internal static class CliOptions
{
    /// <summary><c>--quiet</c>, accepted by every verb: no progress bars, tables or log lines, only results (plain text).</summary>
    public static Option<bool> Quiet { get; } = new("--quiet", "-q")
    {
        Description = "No progress, tables or log lines on the console; results only, as plain text",
        Recursive = true,
    };

    /// <summary>An option with one text value.</summary>
    public static Option<string> Text(string name, string description, string helpName, bool required = false) => new(name)
    {
        Description = description,
        HelpName = helpName,
        Required = required,
    };

    /// <summary>An option with one text value and a default shown in the help.</summary>
    public static Option<string> Text(string name, string description, string helpName, string defaultValue) => new(name)
    {
        Description = description,
        HelpName = helpName,
        DefaultValueFactory = _ => defaultValue,
    };

    /// <summary>One of <paramref name="allowed"/> (listed in the help); <paramref name="defaultValue"/> null makes it required.</summary>
    public static Option<string> Choice(string name, string description, string? defaultValue, params string[] allowed)
    {
        var option = new Option<string>(name)
        {
            Description = description,
            HelpName = string.Join('|', allowed),
            Required = defaultValue is null,
        };
        if (defaultValue is not null) option.DefaultValueFactory = _ => defaultValue;
        option.CompletionSources.Add(allowed);
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && !allowed.Contains(r.Tokens[0].Value))
                r.AddError(NotAChoice(name, r.Tokens[0].Value, allowed));
        });
        return option;
    }

    /// <summary>
    /// A repeatable <c>KEY=VALUE</c> option; <paramref name="check"/> returns what is wrong with one assignment (or null),
    /// so a malformed one is a usage error (exit 2) before anything runs.
    /// </summary>
    public static Option<string[]> Assignments(string name, string description, string helpName, Func<string, string?> check)
    {
        var option = new Option<string[]>(name) { Description = description, HelpName = helpName };
        option.Validators.Add(r =>
        {
            foreach (var t in r.Tokens)
            {
                if (check(t.Value) is { } error)
                {
                    r.AddError(error);
                    return;
                }
            }
        });
        return option;
    }

    /// <summary>One of <paramref name="allowed"/> when given (listed in the help); null when absent.</summary>
    public static Option<string> OptionalChoice(string name, string description, params string[] allowed)
    {
        var option = new Option<string>(name) { Description = description, HelpName = string.Join('|', allowed) };
        option.CompletionSources.Add(allowed);
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && !allowed.Contains(r.Tokens[0].Value))
                r.AddError(NotAChoice(name, r.Tokens[0].Value, allowed));
        });
        return option;
    }

    /// <summary>
    /// The error for <paramref name="value"/>, which is none of <paramref name="allowed"/>: a near miss gets "did you
    /// mean" before the list, as a mistyped config choice does (<c>SectionReader</c>), else the list alone.
    /// </summary>
    private static string NotAChoice(string name, string value, string[] allowed) =>
        Typos.Closest(value, allowed) is { } s
            ? $"option {name} got '{value}'; did you mean '{s}'? (must be one of {string.Join(", ", allowed)})"
            : $"option {name} must be one of {string.Join(", ", allowed)}, got '{value}'";

    /// <summary>An on/off switch without a value.</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    /// <summary>
    /// A whole number from <paramref name="min"/> to <paramref name="max"/>; absent gives <paramref name="defaultValue"/>
    /// (null: not given).
    /// </summary>
    public static Option<int?> Int(string name, string description, int min = 1, int? defaultValue = null, string helpName = "N", int max = int.MaxValue)
    {
        var option = new Option<int?>(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = r => Parse<int>(r, name, s =>
                int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max ? v : null,
                // a number past the range (or past int's) read as "must be ≥ 1" although it is: the bound it breaks is named
                max < int.MaxValue || long.TryParse(r.Tokens.FirstOrDefault()?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long big) && big > int.MaxValue
                    ? $"an integer from {min} to {max}" : $"an integer ≥ {min}"),
        };
        if (defaultValue is { } d) option.DefaultValueFactory = _ => d;
        return option;
    }

    /// <summary>A finite number accepted by <paramref name="accept"/> (<paramref name="rule"/> says which, for the message).</summary>
    public static Option<double?> Number(string name, string description, Func<double, bool> accept, string rule,
        double? defaultValue = null, string helpName = "X")
    {
        var option = new Option<double?>(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = r => Parse<double>(r, name, s =>
                double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && accept(v) ? v : null,
                rule),
        };
        if (defaultValue is { } d) option.DefaultValueFactory = _ => d;
        return option;
    }

    /// <summary>Throws the one message for an output folder that exists and holds something (a verb writes a new folder).</summary>
    public static void RequireNewFolder(string dir)
    {
        if (File.Exists(dir)) throw new IO.InputException($"{dir}: is a file; name a folder to write");
        if (Path.GetDirectoryName(Path.GetFullPath(dir)) is { } parent && File.Exists(parent))
            throw new IO.InputException($"{dir}: {parent} is a file, not a folder");
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new IO.InputException($"{dir}: the output folder exists and is not empty");
    }

    /// <summary>
    /// A file an option names for the command to write or append to (a journal): refused with one line when it is a
    /// folder or its folder is missing or a file; returns it.
    /// </summary>
    public static string FileTarget(string option, string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new UsageException($"option {option} {path}: is a folder; name a file");
        string? dir = Path.GetDirectoryName(full);
        if (dir is not null && File.Exists(dir)) throw new UsageException($"option {option} {path}: {dir} is a file, not a folder");
        if (dir is not null && !Directory.Exists(dir)) throw new UsageException($"option {option} {path}: folder {dir} does not exist");
        return path;
    }

    /// <summary>
    /// Refuses a <c>--language</c> BM25 has no stemmer for (null: none given, no stemming), with "did you mean" for a
    /// near miss of the codes it names; returns it. With <paramref name="perDocument"/> (an index, which records each
    /// document's language) "auto" is one too (<see cref="Skald.Retrieval.Index.Bm25Fields"/>); elsewhere it is refused,
    /// not taken for no stemming.
    /// </summary>
    public static string? StemmingLanguage(string? language, bool perDocument = false) =>
        StemmingLanguageProblem(language, perDocument) is { } problem ? throw new UsageException($"--language {language}{problem}") : language;

    /// <summary>
    /// Why <paramref name="language"/> is not a BM25 stemming language (the text that follows the value in a message:
    /// a "did you mean" and the codes taken), or null when it is one (or null); the one definition of the values
    /// <c>--language</c> and a pipeline <c>mine_negatives</c> stage's <c>language</c> take.
    /// </summary>
    public static string? StemmingLanguageProblem(string? language, bool perDocument) =>
        language is null || (perDocument && language == Skald.Retrieval.Index.Bm25Fields.PerDocument) || Skald.Retrieval.Bm25.Snowball.AlgorithmFor(language) is not null ? null
            : $"{(Typos.Closest(language, perDocument ? [.. StemmingCodes, "auto"] : StemmingCodes) is { } near ? $": did you mean '{near}'?" : "")}: " +
                $"BM25 stems nb, nn, da, sv (also no, en, de, fi and their three-letter codes){(perDocument ? ", or auto: each document in its own" : "")}; leave it out for no stemming";

    /// <summary>The two-letter codes <see cref="StemmingLanguage"/>'s message names (Snowball reads their three-letter codes too).</summary>
    private static readonly string[] StemmingCodes = ["nb", "nn", "da", "sv", "no", "en", "de", "fi"];

    /// <summary>Splits a comma-separated option value into its non-empty, trimmed items.</summary>
    public static string[] Items(string? value) =>
        (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// The adapter folders (or hub ids) an <c>--adapters</c> value names, none when the option is not given; a value
    /// that names none (",") is a usage error rather than a run without the adapters asked for.
    /// </summary>
    public static string[] AdapterFolders(string? value)
    {
        var names = Skald.Serving.ModelLoadValues.Adapters(value ?? ""); // one reader, shared with AddSkaldEmbeddingGenerator's Adapters
        if (value is not null && names.Length == 0) throw new UsageException("option --adapters: no adapter folders given (comma-separated folders or hub ids)");
        return names;
    }

    /// <summary>Adds a check to <paramref name="command"/> that at most one of two options is given.</summary>
    public static void AtMostOne(Command command, Option a, Option b) => command.Validators.Add(r =>
    {
        if (r.GetResult(a) is { Implicit: false } && r.GetResult(b) is { Implicit: false })
            r.AddError($"give {a.Name} or {b.Name}, not both");
    });

    private static T? Parse<T>(ArgumentResult r, string name, Func<string, T?> parse, string rule) where T : struct
    {
        if (r.Tokens.Count == 0) return null;
        string s = r.Tokens[0].Value;
        T? value = parse(s);
        if (value is null) r.AddError($"option {name} must be {rule}, got '{s}'");
        return value;
    }
}
