using Skald.Models;
using Skald.Models.Modules;
using Skald.Training.Config;

namespace Skald.Training.Trainer;

/// <summary>
/// What <c>model.type: csr</c> and <c>loss.type: csr</c> make of the loaded model: a CSR sparse encoder (a
/// SparseAutoEncoder after a dense chain) and the checks CSRLoss needs, each failure one line naming the key.
/// </summary>
internal static class CsrSetup
{
    /// <summary><paramref name="encoder"/> as <paramref name="config"/> trains it: made a CSR model when model.type is csr, checked for loss.type csr.</summary>
    public static SentenceEncoder Apply(TrainingConfig config, SentenceEncoder encoder)
    {
        if (config.Model.Type == "csr" && encoder.AutoEncoder is null)
        {
            try
            {
                encoder = encoder.AsCsr(CsrSettings(config.Model, encoder), config.Training.Seed);
            }
            catch (ModelFormatException e)
            {
                throw new TrainingException($"model.type csr: {e.Message}", e);
            }
        }
        if (config.Model.Type == "csr" && encoder.AutoEncoder is { } sae && (config.Model.CsrHiddenDim ?? sae.Config.HiddenDim) != sae.Config.HiddenDim)
            throw new TrainingException($"model.csr_hidden_dim: {config.Model.Path} is a CSR model already, with {sae.Config.HiddenDim} latents");
        if (config.Loss.Type == "csr")
        {
            if (encoder.AutoEncoder is not { } autoEncoder)
                throw new TrainingException($"{config.Model.Path}: loss.type csr trains a CSR model; set model.type: csr (or start from a CSR folder)");
            if (4 * autoEncoder.Config.K > autoEncoder.Config.HiddenDim || autoEncoder.Config.KAux < 1)
                throw new TrainingException($"{autoEncoder.Module}: CSRLoss keeps 4·k = {4 * autoEncoder.Config.K} and k_aux = {autoEncoder.Config.KAux} latents; both must be in 1..hidden_dim ({autoEncoder.Config.HiddenDim})");
        }
        return encoder;
    }

    /// <summary>
    /// model.type csr's SparseAutoEncoder settings, as sentence-transformers' SparseEncoder picks them for a dense
    /// checkpoint: hidden_dim 4·D; k = D/4 and k_aux = D/2 over a sentence-transformers folder, else 256 and 512 (each
    /// at most hidden_dim); the model section's values where given.
    /// </summary>
    private static SparseAutoEncoderConfig CsrSettings(ModelSection m, SentenceEncoder encoder)
    {
        int d = encoder.Dimension, hidden = m.CsrHiddenDim ?? 4 * d;
        bool st = encoder.Folder.IsSentenceTransformers;
        var config = new SparseAutoEncoderConfig(d, hidden, m.CsrK ?? Math.Min(hidden, st ? Math.Max(1, d / 4) : 256),
            m.CsrKAux ?? Math.Min(hidden, st ? Math.Max(1, d / 2) : 512), false, m.CsrDeadThreshold);
        try
        {
            config.Check("model");
        }
        catch (ModelFormatException e)
        {
            throw new TrainingException(e.Message.Replace("model: \"", "model.csr_", StringComparison.Ordinal).Replace("\" must", " must", StringComparison.Ordinal), e);
        }
        return config;
    }
}
