using Skald.Models;
using Skald.Models.BgeM3;
using Skald.Models.Checkpoints;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Output;

/// <summary>
/// BGE-M3's two head files in a saved folder. Trained heads (<see cref="BgeM3Loss"/>'s parameters, named
/// <c>sparse_linear/…</c> and <c>colbert_linear/…</c>) are written as FlagEmbedding's <c>save</c> writes them: each
/// Linear's state dict (<c>weight</c>, then <c>bias</c>) in float32 through <c>torch.save</c>
/// (<see cref="TorchStateDictWriter"/>). A dense fine-tune of a BGE-M3 folder (any other loss) keeps the source's head
/// files, copied unchanged, and says so in the model card: the folder stays a BGE-M3 folder whose lexical and ColBERT
/// outputs still work, where dropping them would lose two of its three outputs without a word, and refusing would stop
/// the common dense-only fine-tune.
/// </summary>
/// <remarks>Upstream (EncoderOnlyEmbedderM3Model.save): https://github.com/FlagOpen/FlagEmbedding/blob/7ed43d67ec03fbe5c31c0992dbfa941fb1860549/FlagEmbedding/finetune/embedder/encoder_only/m3/modeling.py</remarks>
internal static class BgeM3HeadFiles
{
    private static readonly (string File, string Prefix)[] Heads =
        [(BgeM3Heads.SparseFile, "sparse_linear/"), (BgeM3Heads.ColbertFile, "colbert_linear/")];

    /// <summary>Whether <paramref name="p"/> is one of BGE-M3's head parameters.</summary>
    public static bool IsHead(Parameter p) => Heads.Any(h => p.Name.StartsWith(h.Prefix, StringComparison.Ordinal));

    /// <summary>
    /// Writes <paramref name="heads"/> (all four, or none) into <paramref name="dir"/>; with none, copies the head files
    /// of <paramref name="model"/>'s folder that exist.
    /// </summary>
    public static void Write(SentenceEncoder model, IReadOnlyList<Parameter> heads, string dir)
    {
        foreach (var (file, prefix) in Heads)
        {
            var own = heads.Where(p => p.Name.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.Name[prefix.Length..]);
            if (own.Count == 0)
            {
                string source = Path.Combine(model.Folder.Path, file);
                if (heads.Count == 0 && File.Exists(source)) File.Copy(source, Path.Combine(dir, file));
                continue;
            }
            if (!own.TryGetValue("weight", out var weight) || !own.TryGetValue("bias", out var bias) || own.Count != 2)
                throw new ArgumentException($"{file}: a head is a Linear's weight and bias, not {string.Join(", ", own.Keys)}", nameof(heads));
            TorchStateDictWriter.Write(Path.Combine(dir, file), [
                new TensorToWrite("weight", weight.Shape, ModelSaver.Float32Values(weight)),
                new TensorToWrite("bias", bias.Shape, ModelSaver.Float32Values(bias)),
            ]);
        }
    }

    /// <summary>The model card's line on the heads of a run that starts from a BGE-M3 folder; null for any other.</summary>
    public static string? Note(TrainerSetup setup)
    {
        if (setup.Loss is BgeM3Loss { Unified: true })
            return $"`{BgeM3Heads.SparseFile}` and `{BgeM3Heads.ColbertFile}` were trained with the transformer (FlagEmbedding's unified fine-tuning" +
                   $"{(setup.Loss is BgeM3Loss { NewHeads: true } ? $", from new heads drawn as torch.nn.Linear initialises them, seed {setup.Config.Training.Seed}" : "")}" +
                   $"{(setup.Loss is BgeM3Loss { UseSelfDistill: true } ? " with self-distillation" : "")}) and are saved in float32, as FlagEmbedding saves them.";
        if (setup.Model is TrainableEncoder encoder && BgeM3Heads.AnyIn(encoder.Source.Path) && encoder.Model.AutoEncoder is null && !encoder.Model.IsSparse)
            return $"The base model is a BGE-M3 folder and this run trained its dense output only (loss `{setup.Config.Loss.Type}`" +
                   $"{(setup.Loss is BgeM3Loss ? ", unified_finetuning false" : "")}): `{BgeM3Heads.SparseFile}` and `{BgeM3Heads.ColbertFile}` " +
                   "are the base model's, copied unchanged, while the transformer under them moved; train all three outputs with `loss.type: bge_m3`.";
        return null;
    }
}
