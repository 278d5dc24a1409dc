using Skald.Cli.Pipeline;

namespace Skald.Cli.Commands;

/// <summary><c>skald pipeline</c>: chained stages (tokenizer → new BERT → masked-LM → train configs → benchmark) from one YAML file.</summary>
internal static class PipelineCommand
{
    public const string Usage = "skald pipeline --config FILE   (stages: tokenizer, new_bert, mlm, train, benchmark; see configs/pipeline-example.yaml)";

    public static int Run(IReadOnlyList<string> args)
    {
        var a = new CliArgs("pipeline", args, ["--config"]);
        new PipelineRunner(a.Require("--config"), Console.Error.WriteLine).Run();
        return 0;
    }
}
