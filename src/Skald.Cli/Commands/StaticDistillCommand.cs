using System.CommandLine;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Models;
using Skald.Training.Static;

namespace Skald.Cli.Commands;

/// <summary><c>skald static distill</c>: a Model2Vec-style static model distilled from any encoder (PCA, SIF weighting).</summary>
internal sealed class StaticDistillCommand : Command
{
    private readonly Option<string> model = CliOptions.Text("--model", "Teacher model folder, or a hub id org/name[@revision]", "DIR|ID", required: true);
    private readonly Option<string> output = CliOptions.Text("--output", "Folder to save the static model in", "DIR", required: true);
    private readonly Option<int?> dim = CliOptions.Int("--dim", "Embedding dimension after PCA", defaultValue: 256);
    private readonly Option<string> corpus = CliOptions.Text("--corpus", "Text for token frequencies (SIF weights), comma-separated", "FILE[,FILE...]");
    private readonly Option<bool> noNormalize = CliOptions.Flag("--no-normalize", "Save without a Normalize module (embeddings not unit length)");

    public StaticDistillCommand() : base("distill", "Distill a static embedding model from an encoder (Model2Vec-style: token embeddings, PCA, SIF weighting)")
    {
        foreach (var o in new Option[] { model, output, dim, corpus, noNormalize }) Options.Add(o);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        string outputPath = p.GetValue(output)!;
        CliOptions.RequireNewFolder(outputPath); // the model replaces the folder: never one that holds something
        using var teacher = SentenceEncoder.Load(HubModels.Resolve(p.GetValue(model)!, quiet));
        var text = p.GetValue(corpus) is { } c ? CliOptions.Items(c).SelectMany(TextInput.ReadLinesOf).ToList() : null;
        if (text is { Count: 0 }) // no frequencies would weigh every token alike, not as the corpus says
            throw new InputException($"{p.GetValue(corpus)}: no text lines (--corpus gives the token frequencies of the SIF weights)");
        int wanted = p.GetValue(dim) ?? 256;
        var distilled = ProgressView.Run("embedding the vocabulary", show: true, quiet, bar => StaticDistiller.Distill(teacher, wanted, new StaticDistillOptions
        {
            Corpus = text,
            Progress = (done, total) =>
            {
                if (bar.IsLive) bar.Report(done, total);
                else if (done == total || done % 4096 == 0) Terminal.Log($"embedded {done}/{total} tokens", quiet);
            },
        }));
        distilled.Save(outputPath, normalize: !p.GetValue(noNormalize));
        Terminal.Log($"distilled {teacher.Folder.Path} into a {distilled.Dimension}-d static model: {outputPath}"
            + DimensionNote(wanted, distilled.Dimension, teacher.Tokenizer.VocabSize), quiet);
        return 0;
    }

    /// <summary>
    /// Why the model is not <paramref name="wanted"/> wide, when it is not: PCA reduces, never widens (Model2Vec's
    /// pca_dims likewise), so a --dim above the teacher's width, or not below its vocabulary, keeps the teacher's width.
    /// </summary>
    private static string DimensionNote(int wanted, int got, int vocab) =>
        got < wanted ? $" (--dim {wanted} is more than the teacher's {got} dimensions, which are kept as they are)"
        : got > wanted ? $" (--dim {wanted} is not below the teacher's {vocab} tokens, so PCA was skipped and its {got} dimensions kept)"
        : "";
}
