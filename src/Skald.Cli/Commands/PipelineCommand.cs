using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.Output;
using Skald.Cli.Pipeline;

namespace Skald.Cli.Commands;

/// <summary><c>skald pipeline</c>: chained stages (tokenizer → new BERT → masked-LM → train configs → benchmark) from one YAML file.</summary>
internal sealed class PipelineCommand : Command
{
    private readonly Option<string> config = CliOptions.Text("--config",
        "Pipeline file: output and stages (tokenizer, new_bert, mlm, train, benchmark, generate, mine_negatives, translate, answer, evaluate_generation); see configs/pipeline-example.yaml and configs/instruction-study.yaml", "FILE", required: true);

    private readonly Option<string[]> set = CliOptions.Assignments("--set",
        "Override a stage key (STAGE.KEY=VALUE, the value read as YAML) or the output folder (output=DIR); repeatable",
        "STAGE.KEY=VALUE", Pipeline.StageConfig.OverrideError);

    private readonly Option<string> from = CliOptions.Text("--from",
        "Run this stage and every one after it again, although an earlier run finished them with the same settings", "STAGE");

    private readonly Option<bool> force = CliOptions.Flag("--force",
        "Run every stage again, although an earlier run finished it with the same settings");

    public PipelineCommand() : base("pipeline", "Run a staged recipe from one YAML file; every stage's keys are checked before the first one runs")
    {
        Options.Add(config);
        Options.Add(set);
        Options.Add(from);
        Options.Add(force);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        string? stage = p.GetValue(from);
        if (stage is not null && p.GetValue(force)) throw new UsageException("--from and --force: --force runs every stage again, --from STAGE that stage and those after it; give one");
        var rerun = p.GetValue(force) ? new RerunFrom(null) : stage is null ? null : new RerunFrom(stage);
        try
        {
            new PipelineRunner(p.GetValue(config)!, m => Terminal.Log(m, quiet), report => ReportTables.Print(report, quiet),
                p.GetValue(set) ?? [], rerun).Run();
        }
        catch (StageInterruptedException e) // Ctrl-C in an LLM stage, its replies in flight journaled: as SIGINT's exit
        {
            Console.Error.WriteLine("skald: " + e.Message);
            return 130;
        }
        return 0;
    }
}
