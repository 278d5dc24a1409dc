using Skald.Models;

namespace Skald.Training.Trainer;

/// <summary>
/// The frozen models a run's loss consults, which <see cref="LossFactory"/> loads (<c>loss.teacher</c> of mse,
/// <c>loss.guide</c> of gist): they embed every batch for the whole run, so they stay open until the run is done; then
/// <see cref="Dispose"/> (the setup's, <see cref="TrainerSetup.Dispose"/>) releases them.
/// </summary>
public sealed class FrozenModels : IDisposable
{
    private readonly List<SentenceEncoder> models = [];

    /// <summary>The models loaded so far, in order.</summary>
    public IReadOnlyList<SentenceEncoder> Models => models;

    /// <summary>Keeps <paramref name="model"/> to dispose with the others; returns it.</summary>
    internal SentenceEncoder Add(SentenceEncoder model)
    {
        lock (models) models.Add(model);
        return model;
    }

    /// <summary>Disposes every model loaded so far; disposing twice does nothing.</summary>
    public void Dispose()
    {
        SentenceEncoder[] all;
        lock (models)
        {
            all = [.. models];
            models.Clear();
        }
        foreach (var model in all) model.Dispose();
    }
}
