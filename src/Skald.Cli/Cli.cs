using System.CommandLine;
using System.CommandLine.Invocation;
using Skald.Cli.CommandLine;
using Skald.Cli.Commands;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Distributed;
using Skald.Models;
using Skald.Tokenizers;
using Skald.Training.Config;

namespace Skald.Cli;

/// <summary>
/// The <c>skald</c> command tree (System.CommandLine) and the error contract: a command-line mistake prints one line and
/// exits 2; a problem with the user's input or model prints one line naming the file, line or key and exits 1; anything
/// else is an internal error (exit 70). <c>SKALD_DEBUG=1</c> adds the stack trace.
/// </summary>
internal static class Cli
{
    /// <summary>Every verb, with its options and help texts.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand(
            "skald — text embeddings for Norwegian, Danish and Swedish, in .NET.\n" +
            "User errors print one line and exit non-zero (1: bad input or model, 2: bad command line); SKALD_DEBUG=1 shows stack traces.\n" +
            "'skald VERB --help' describes a verb's options.")
        {
            CliOptions.Quiet,
            new EncodeCommand(),
            new QuantizeCommand(),
            new MergeCommand(),
            new TruncateLayersCommand(),
            new DownloadCommand(),
            new UploadCommand(),
            new TokenizeCommand(),
            new Command("tokenizer", "Tokenizer tools") { new TokenizerTrainCommand() },
            new InfoCommand(),
            new TrainCommand(),
            new EvaluateCommand(),
            new BenchmarkCommand(),
            new Command("static", "Static embedding models (sentence-transformers StaticEmbedding)") { new StaticTrainCommand(), new StaticDistillCommand() },
            new QuickstartCommand(),
            new PipelineCommand(),
            new DataCommand(),
            new MineCommand(),
            new ServeCommand(),
            new GenerateCommand(),
            new Command("adapter", "Query adapters over frozen or remote embedding models") { new AdapterTrainCommand() },
            new Commands.Index.IndexCommand(),
            new Commands.Index.SearchCommand(),
            new RerankCommand(),
            new ClassifyCommand(),
            new MpiCheckCommand(),
        };
        return root;
    }

    /// <summary>
    /// Environment variable capping the threads of every multi-threaded kernel (default: all cores). Results are the
    /// same bytes at any setting: parallel sums combine their partials in a fixed order.
    /// </summary>
    public const string ThreadsVariable = "SKALD_THREADS";

    /// <summary>
    /// The processes of this job: MPI's world when mpirun started skald (<see cref="MpiLaunch.UnderMpirun"/>; only then
    /// is libmpi loaded), otherwise the single process. Train and encode split their work across it.
    /// </summary>
    public static ICommunicator World { get; private set; } = SingleProcess.Instance;

    // Under mpirun, a rank above 0 keeps its real stderr here for its errors (JoinJob silences Console.Error); otherwise
    // null: errors go to Console.Error as it is when they happen, not as it was when this class was first used.
    private static TextWriter? rankStderr;

    public static int Run(string[] args)
    {
        // `skald` alone shows the verbs (as a usage mistake); `skald help [VERB...]` is `skald [VERB...] --help`.
        bool bare = args.Length == 0;
        if (bare) args = ["--help"];
        else if (args[0] == "help") args = [.. args[1..], "--help"];
        var parse = BuildRoot().Parse(args);
        // A hidden verb (mpi-check) stays out of the list of verbs, but named with --help it is described: the help
        // printer skips a hidden command, so it printed nothing and exited 0. The tree is this run's own to change.
        if (parse.Action is System.CommandLine.Help.HelpAction && parse.CommandResult.Command is { Hidden: true } asked)
            asked.Hidden = false;
        if (parse.Errors.Count > 0 && parse.Action is ParseErrorAction)
            return Fail(null, 2, ParseErrors.Describe(parse));
        if (Environment.GetEnvironmentVariable(ThreadsVariable) is { Length: > 0 } threads)
        {
            if (Skald.Serving.ModelLoadValues.Threads(threads) is not int n) // one reader, shared with AddSkaldEmbeddingGenerator's Threads
                return Fail(null, 2, $"{ThreadsVariable}=\"{threads}\" must be a positive whole number of threads");
            Skald.Tensors.Parallelism.MaxThreads = n;
        }
        if (MpiLaunch.UnderMpirun)
        {
            try
            {
                World = MpiLaunch.Start();
            }
            catch (MpiException e)
            {
                return Fail(e, 1, e.Message);
            }
            JoinJob();
        }
        // notices of model loading (adapter tensors left unmerged): one log line per load, none with --quiet
        bool quiet = parse.GetValue(CliOptions.Quiet);
        using var notices = ModelNotices.Route(message => Terminal.Log(message, quiet));
        try
        {
            int code = parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
            if (code == 0) World.Dispose(); // MPI_Finalize after success only: a failed rank exits without it and mpirun ends the job
            return bare ? 2 : code;
        }
        catch (UsageException e)
        {
            return Fail(e, 2, $"{e.Message} (see '{ParseErrors.Path(parse.CommandResult)} --help')");
        }
        catch (Exception e) when (e is ModelFormatException or TokenizerException or InputException or TrainingException
            or Skald.Data.DataException or Skald.Hub.HubException or Skald.Retrieval.EvaluationException or MpiException or FileNotFoundException or DirectoryNotFoundException
            or UnauthorizedAccessException)
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

    /// <summary>
    /// Under mpirun: only rank 0 writes to the console (the others' errors still show, with their rank), and without
    /// SKALD_THREADS each rank takes its share of the machine (<see cref="MpiLaunch.DefaultThreads"/>).
    /// </summary>
    private static void JoinJob()
    {
        if (Environment.GetEnvironmentVariable(ThreadsVariable) is not { Length: > 0 })
            Skald.Tensors.Parallelism.MaxThreads = Math.Min(Environment.ProcessorCount, MpiLaunch.DefaultThreads(HostCores()));
        if (World.Rank == 0) return;
        rankStderr = Console.Error;
        Console.SetOut(TextWriter.Null);
        Console.SetError(TextWriter.Null);
    }

    /// <summary>The machine's online cores, which a rank bound to fewer cores still shares with the other ranks.</summary>
    private static int HostCores()
    {
        try
        {
            return Math.Max(Environment.ProcessorCount, Directory.GetDirectories("/sys/devices/system/cpu", "cpu*")
                .Count(d => Path.GetFileName(d)[3..].All(char.IsAsciiDigit) && Path.GetFileName(d).Length > 3));
        }
        catch (IOException)
        {
            return Environment.ProcessorCount;
        }
        catch (UnauthorizedAccessException)
        {
            return Environment.ProcessorCount;
        }
    }

    private static int Fail(Exception? e, int code, string message)
    {
        string rank = World.Rank > 0 ? $"(rank {World.Rank}) " : "";
        var stderr = rankStderr ?? Console.Error;
        stderr.WriteLine($"skald: error: {rank}{message}");
        if (e is not null && Environment.GetEnvironmentVariable("SKALD_DEBUG") == "1") stderr.WriteLine(e);
        return code;
    }
}
