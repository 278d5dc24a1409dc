using System.CommandLine;
using System.Text.RegularExpressions;

namespace Skald.Cli.Tests;

/// <summary>The command line itself: help for every verb, the version, suggestions for typos, one-line usage errors.</summary>
public sealed class CliHelpTests
{
    /// <summary>Every runnable verb ("encode", "static train", ...), read from the CLI's own command tree.</summary>
    public static TheoryData<string> Verbs()
    {
        var data = new TheoryData<string>();
        foreach (var (path, _) in Leaves(Cli.BuildRoot(), "")) data.Add(path);
        return data;
    }

    [Fact]
    public void EveryVerbOfTheOldParserIsACommand()
    {
        var verbs = Leaves(Cli.BuildRoot(), "").Select(l => l.Path).ToHashSet();
        foreach (var v in new[] { "encode", "tokenize", "tokenizer train", "info", "train", "evaluate", "benchmark", "static train", "static distill", "quickstart", "pipeline" })
            Assert.Contains(v, verbs);
    }

    [Theory]
    [MemberData(nameof(Verbs))]
    public void HelpDescribesEveryOptionOfTheVerb(string verb)
    {
        var command = Leaves(Cli.BuildRoot(), "").Single(l => l.Path == verb).Command;
        var r = SkaldProcess.Run([.. verb.Split(' '), "--help"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal("", r.Stderr);
        Assert.Matches($@"skald {verb}( <[A-Z]+>)* \[options\]", r.Stdout); // `data inspect <FILE>` takes an argument
        Assert.False(string.IsNullOrWhiteSpace(command.Description), $"'{verb}' has no description");
        foreach (var option in command.Options)
        {
            Assert.False(string.IsNullOrWhiteSpace(option.Description), $"{verb} {option.Name} has no description");
            Assert.Contains(option.Name, r.Stdout);
            Assert.Contains(option.Description!, r.Stdout.Replace("\n", " "));
        }
        Assert.Contains("--quiet", r.Stdout);
    }

    [Fact]
    public void RootHelpListsTheVerbs()
    {
        var r = SkaldProcess.Run("--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var verb in new[] { "encode", "tokenize", "tokenizer", "info", "train", "evaluate", "benchmark", "static", "quickstart", "pipeline" })
            Assert.Matches(new Regex($@"^\s+{verb}\s+\S", RegexOptions.Multiline), r.Stdout);
        Assert.Contains("--version", r.Stdout);
        Assert.Contains("skald VERB --help", r.Stdout);
    }

    [Fact]
    public void AHiddenVerbHasHelpButStaysOutOfTheListOfVerbs()
    {
        var r = SkaldProcess.Run("mpi-check", "--help");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("skald mpi-check [options]", r.Stdout);
        Assert.Contains("--allreduce-mb", r.Stdout);
        Assert.DoesNotMatch(new Regex(@"^\s+mpi-check\s", RegexOptions.Multiline), SkaldProcess.Run("--help").Stdout);
    }

    [Fact]
    public void NoVerbShowsTheHelpAsAUsageError()
    {
        var r = SkaldProcess.Run();
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("Commands:", r.Stdout);
    }

    [Fact]
    public void VersionIsPrinted()
    {
        var r = SkaldProcess.Run("--version");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", r.Stdout.Trim());
        Assert.Equal("", r.Stderr);
    }

    [Theory]
    [InlineData("benchmak", "unknown command 'benchmak' for 'skald'", "did you mean 'benchmark'?")]
    [InlineData("encdoe", "unknown command 'encdoe' for 'skald'", "did you mean 'encode'?")]
    public void MistypedVerbGetsASuggestion(string typo, string message, string suggestion) =>
        SkaldProcess.AssertUserError(SkaldProcess.Run(typo, "--model", "x"), 2, message, suggestion);

    [Fact]
    public void MistypedSubcommandGetsASuggestion() =>
        SkaldProcess.AssertUserError(SkaldProcess.Run("static", "trian", "--data", "x"), 2, "unknown command 'trian' for 'skald static'", "did you mean 'train'?");

    [Fact]
    public void UnknownOptionIsOneLineWithExitCode2()
    {
        var r = SkaldProcess.Run("tokenize", "--tokenizer", "t.json", "--input", "i.txt", "--output", "o.jsonl", "--max-lenght", "8");
        SkaldProcess.AssertUserError(r, 2, "unknown option --max-lenght for 'skald tokenize'", "did you mean '--max-length'?", "skald tokenize --help");
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void UnknownOptionWithoutACloseMatchHasNoSuggestion()
    {
        var r = SkaldProcess.Run("info", "--model", "x", "--frobnicate");
        SkaldProcess.AssertUserError(r, 2, "unknown option --frobnicate for 'skald info'");
        Assert.DoesNotContain("did you mean", r.Stderr);
    }

    [Fact]
    public void HelpWordWorksLikeTheOption()
    {
        var r = SkaldProcess.Run("help", "encode");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("skald encode [options]", r.Stdout);
    }

    private static IEnumerable<(string Path, Command Command)> Leaves(Command command, string prefix)
    {
        // Hidden verbs (mpi-check) too: left out of the list of verbs, but named with --help they are described.
        foreach (var sub in command.Subcommands)
        {
            string path = prefix.Length == 0 ? sub.Name : $"{prefix} {sub.Name}";
            if (sub.Subcommands.Count == 0) yield return (path, sub);
            else foreach (var leaf in Leaves(sub, path)) yield return leaf;
        }
    }
}
