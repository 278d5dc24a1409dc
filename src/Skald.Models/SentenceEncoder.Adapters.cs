using Skald.Hub;
using Skald.Models.Adapters;

namespace Skald.Models;

// SentenceEncoder, continued: which PEFT adapters a load merged, and a model path that is an adapter folder.
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// The PEFT adapter folders merged into the weights at load, in order, located: those given, preceded — when the
    /// model path was an adapter folder — by that folder (and the adapters it was trained on top of) over its base
    /// (<see cref="AdapterBase.Expand"/>). Loading <see cref="Folder"/>'s path with these gives this model again.
    /// </summary>
    public IReadOnlyList<string> Adapters { get; private set; } = [];

    /// <summary>The model folder and adapter folders to load: hub ids located, an adapter folder given as the model expanded to its base.</summary>
    private static (string Path, IReadOnlyList<string> Adapters) LocateAll(string path, IReadOnlyList<string>? adapters) =>
        AdapterBase.Expand(HubResolver.Locate(path), adapters?.Select(a => HubResolver.Locate(a)).ToList());
}
