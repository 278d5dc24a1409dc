namespace Skald.Cli.IO;

/// <summary>
/// The models a verb loaded to put inside others (an embedding model under a hybrid or a reranked first stage, the
/// cross-encoder of a reranker), which those wrappers do not dispose: disposed together, last loaded first, when the
/// verb is done or fails.
/// </summary>
internal sealed class LoadedModels : IDisposable
{
    private readonly List<IDisposable> models = [];

    /// <summary>Disposes <paramref name="model"/> with the others; returns it.</summary>
    public T Own<T>(T model) where T : IDisposable
    {
        models.Add(model);
        return model;
    }

    /// <summary>Disposes every model owned so far, last loaded first.</summary>
    public void Dispose()
    {
        for (int i = models.Count - 1; i >= 0; i--) models[i].Dispose();
        models.Clear();
    }
}
