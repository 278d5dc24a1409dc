using Skald.Cli;
using Skald.Cli.Commands;
using Skald.Cli.IO;
using Skald.Models;
using Skald.Tokenizers;

return Cli.Run(args);

namespace Skald.Cli
{
    /// <summary>Entry point: dispatches verbs and turns user errors into one-line messages.</summary>
    internal static class Cli
    {
        private const string Help = """
            skald — text embeddings for Norwegian, Danish and Swedish, in .NET

            usage:
              {encode}
              {tokenize}
              skald tokenizer train --corpus FILE[,FILE...] --kind wordpiece|bpe|unigram --vocab-size N --output tokenizer.json [--min-frequency N] [--special-tokens T,...] [--initial-alphabet CHARS] [--lowercase]
              {info}
              {evaluate}
              {benchmark}
              skald train --config FILE [--set section.key=value]... [--quick-test] [--quiet]
              skald quickstart [--output DIR] [--samples DIR] [--budget X] [--mlm STEPS]
              {static}
              skald pipeline --config FILE

            User errors print one line and exit non-zero (1: bad input or model, 2: bad command line).
            Set SKALD_DEBUG=1 to see stack traces.
            """;

        public static int Run(string[] args)
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                Console.WriteLine(Help.Replace("{encode}", EncodeCommand.Usage.Replace("\n", "\n  "))
                    .Replace("{tokenize}", TokenizeCommand.Usage).Replace("{info}", InfoCommand.Usage)
                    .Replace("{evaluate}", EvaluateCommand.Usage.Replace("\n", "\n  ")).Replace("{benchmark}", BenchmarkCommand.Usage.Replace("\n", "\n  "))
                    .Replace("{static}", StaticCommand.Usage.Replace("\n", "\n  ")));
                return args.Length == 0 ? 2 : 0;
            }
            if (args[0] is "--version")
            {
                Console.WriteLine(typeof(Cli).Assembly.GetName().Version?.ToString(3) ?? "0.1.0");
                return 0;
            }
            var rest = args.Skip(1).ToArray();
            try
            {
                return args[0] switch
                {
                    "encode" => EncodeCommand.Run(rest),
                    "tokenize" => TokenizeCommand.Run(rest),
                    "tokenizer" => TokenizerTrainCommand.Run(rest),
                    "info" => InfoCommand.Run(rest),
                    "evaluate" => EvaluateCommand.Run(rest),
                    "benchmark" => BenchmarkCommand.Run(rest),
                    "train" => TrainCommand.Run(rest),
                    "quickstart" => QuickstartCommand.Run(rest),
                    "static" => StaticCommand.Run(rest),
                    "pipeline" => PipelineCommand.Run(rest),
                    _ => throw new UsageException($"unknown command '{args[0]}' (try: skald --help)"),
                };
            }
            catch (UsageException e)
            {
                return Fail(e, 2, e.Message + (rest.Contains("--help") ? "" : "\nrun 'skald --help' for usage"));
            }
            catch (Exception e) when (e is ModelFormatException or TokenizerException or InputException or Skald.Training.Config.TrainingException
                or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
            {
                return Fail(e, 1, e.Message);
            }
            catch (IOException e)
            {
                return Fail(e, 1, e.Message);
            }
            catch (Exception e)
            {
                return Fail(e, 70, $"internal error: {e.GetType().Name}: {e.Message} (please report it; SKALD_DEBUG=1 shows the stack trace)");
            }
        }

        private static int Fail(Exception e, int code, string message)
        {
            Console.Error.WriteLine($"skald: error: {message}");
            if (Environment.GetEnvironmentVariable("SKALD_DEBUG") == "1") Console.Error.WriteLine(e);
            return code;
        }
    }
}
