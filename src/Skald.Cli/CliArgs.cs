namespace Skald.Cli;

/// <summary>A mistake in the command line (unknown option, missing value); printed with a usage hint, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Parses <c>--name value</c> and <c>--flag</c> options after the verb. Every option must be one the verb declares;
/// an unknown option or a missing value is a <see cref="UsageException"/> naming it.
/// </summary>
internal sealed class CliArgs
{
    private readonly Dictionary<string, string?> values = new(StringComparer.Ordinal);
    private readonly string verb;

    public CliArgs(string verb, IReadOnlyList<string> args, IReadOnlyCollection<string> valueOptions,
        IReadOnlyCollection<string>? flags = null)
    {
        this.verb = verb;
        flags ??= [];
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string name = a, inline = "";
            bool hasInline = false;
            int eq = a.IndexOf('=');
            if (a.StartsWith("--", StringComparison.Ordinal) && eq > 2)
            {
                name = a[..eq];
                inline = a[(eq + 1)..];
                hasInline = true;
            }
            if (flags.Contains(name))
            {
                values[name] = null;
                continue;
            }
            if (!valueOptions.Contains(name))
                throw new UsageException(a.StartsWith('-') ? $"unknown option {name} for 'skald {verb}'" : $"unexpected argument '{a}' for 'skald {verb}'");
            if (hasInline)
            {
                values[name] = inline;
            }
            else
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new UsageException($"option {name} needs a value");
                values[name] = args[++i];
            }
        }
    }

    public bool Has(string name) => values.ContainsKey(name);

    public string? Get(string name) => values.TryGetValue(name, out var v) ? v : null;

    public string Require(string name) =>
        Get(name) ?? throw new UsageException($"'skald {verb}' needs {name}");

    public int? GetInt(string name, int min = 1)
    {
        string? s = Get(name);
        if (s is null) return null;
        if (!int.TryParse(s, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int v) || v < min)
            throw new UsageException($"option {name} must be an integer ≥ {min}, got '{s}'");
        return v;
    }
}
