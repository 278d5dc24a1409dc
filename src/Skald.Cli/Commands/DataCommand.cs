using System.CommandLine;

namespace Skald.Cli.Commands;

/// <summary><c>skald data</c>: the group of verbs that make and check training data (Skald.Data).</summary>
internal sealed class DataCommand : Command
{
    public DataCommand() : base("data", "Training data from your own documents: generate pairs, mine hard negatives, inspect")
    {
        Subcommands.Add(new DataGenerateCommand());
        Subcommands.Add(new DataMineNegativesCommand());
        Subcommands.Add(new DataInspectCommand());
        Subcommands.Add(new DataTranslateCommand());
    }
}
