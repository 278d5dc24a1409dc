using System.CommandLine;

namespace Skald.Cli.Commands.Index;

/// <summary><c>skald index</c>: build and change search indexes (searched by <c>skald search</c> and <c>skald serve --index</c>).</summary>
internal sealed class IndexCommand : Command
{
    public IndexCommand() : base("index", "Search indexes over your documents: build, add, delete, reindex, info (search them with 'skald search')")
    {
        Subcommands.Add(new IndexBuildCommand());
        Subcommands.Add(new IndexAddCommand());
        Subcommands.Add(new IndexDeleteCommand());
        Subcommands.Add(new IndexReindexCommand());
        Subcommands.Add(new IndexInfoCommand());
    }
}
