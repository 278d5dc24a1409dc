using System.CommandLine;
using System.CommandLine.Parsing;
using Skald.Retrieval.Data;

namespace Skald.Cli.CommandLine;

/// <summary>
/// Turns System.CommandLine's parse errors into skald's one-line message: the first problem, the verb it belongs to,
/// a "did you mean" for a mistyped verb or option, and where to look for the usage.
/// </summary>
internal static class ParseErrors
{
    public static string Describe(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        string verb = Path(parse.CommandResult);
        string help = $"(see '{verb} --help')";
        if (parse.UnmatchedTokens.Count > 0)
        {
            string token = parse.UnmatchedTokens[0];
            if (token.StartsWith('-'))
            {
                string name = token.Split('=', ':')[0];
                var names = Visible(command.Options.Concat(Recursive(parse.CommandResult))).SelectMany(o => o.Aliases.Prepend(o.Name));
                return $"unknown option {name} for '{verb}'{Suggest(name, names)} {help}";
            }
            if (command.Subcommands.Count > 0)
            {
                var names = command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name));
                return $"unknown command '{token}' for '{verb}'{Suggest(token, names)} {help}";
            }
            return $"unexpected argument '{token}' for '{verb}' {help}";
        }
        if (command.Options.FirstOrDefault(o => o.Required && !Given(parse, o)) is { } missing)
            return $"'{verb}' needs {missing.Name} {help}";
        string message = string.Join(' ', parse.Errors[0].Message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).TrimEnd('.');
        if (message == "Required command was not provided")
            message = $"'{verb}' needs one of: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}";
        return $"{message} {help}";
    }

    /// <summary>"skald static train" for the command a result belongs to.</summary>
    public static string Path(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is CommandResult c) names.Add(c.Parent is null ? "skald" : c.Command.Name);
        }
        names.Reverse();
        return string.Join(' ', names);
    }

    private static IEnumerable<Option> Recursive(CommandResult result)
    {
        for (var r = result.Parent; r is not null; r = r.Parent)
        {
            if (r is CommandResult c)
            {
                foreach (var o in c.Command.Options.Where(o => o.Recursive)) yield return o;
            }
        }
    }

    private static bool Given(ParseResult parse, Option option) =>
        parse.Tokens.Any(t => t.Type == TokenType.Option && (t.Value == option.Name || option.Aliases.Contains(t.Value)));

    private static IEnumerable<Option> Visible(IEnumerable<Option> options) => options.Where(o => !o.Hidden);

    private static string Suggest(string word, IEnumerable<string> candidates) =>
        Typos.Closest(word, candidates) is { } s ? $" (did you mean '{s}'?)" : "";
}
