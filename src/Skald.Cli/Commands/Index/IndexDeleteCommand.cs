using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Retrieval;
using Skald.Retrieval.Data;
using Skald.Retrieval.Index;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.Commands.Index;

/// <summary><c>skald index delete</c>: tombstones for rows by record id, document id or source file.</summary>
internal sealed class IndexDeleteCommand : Command
{
    private readonly Option<string> index = IndexOptions.Index();
    private readonly Option<string> ids = CliOptions.Text("--id", "Record or document ids to delete, comma-separated", "ID[,ID...]");
    private readonly Option<string> sources = CliOptions.Text("--source", "Delete every row read from these files, comma-separated", "FILE[,FILE...]");

    public IndexDeleteCommand() : base("delete", "Delete documents from an index (tombstones; the next 'index add' compacts them away)")
    {
        foreach (var o in new Option[] { index, ids, sources }) Options.Add(o);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        var idList = CliOptions.Items(p.GetValue(ids));
        var sourceList = CliOptions.Items(p.GetValue(sources));
        if (idList.Length == 0 && sourceList.Length == 0) throw new UsageException("give --id or --source");
        try
        {
            int n = IndexBuilder.Delete(p.GetValue(index)!, idList, sourceList);
            if (n == 0) throw new InputException($"{p.GetValue(index)}: no live row matches {string.Join(", ", idList.Concat(sourceList))}");
            Terminal.Log($"deleted {Counted.Of(n, "row")} from {p.GetValue(index)}", p.GetValue(CliOptions.Quiet));
            return 0;
        }
        catch (EvaluationException e)
        {
            throw new InputException(e.Message);
        }
    }
}
