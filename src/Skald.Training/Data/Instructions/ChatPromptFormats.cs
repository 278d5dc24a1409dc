namespace Skald.Training.Data.Instructions;

/// <summary>
/// Where <c>skald train</c> gets a model's chat template for <c>loss.type causal_lm</c>: <see cref="Loader"/> maps a
/// model folder to its <see cref="IChatPromptFormat"/> (null when the folder has none). Skald.Training holds no template
/// engine; the host that has one (the CLI, over the Jinja chat-template engine) sets the loader once at start-up.
/// </summary>
public static class ChatPromptFormats
{
    /// <summary>Model folder → its chat template, or null; null itself: no template engine is available.</summary>
    public static Func<string, IChatPromptFormat?>? Loader { get; set; }

    /// <summary>The chat template of <paramref name="modelDir"/> when a loader is set and finds one, else null.</summary>
    public static IChatPromptFormat? For(string modelDir) => Loader?.Invoke(modelDir);
}
