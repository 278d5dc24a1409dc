using YamlDotNet.RepresentationModel;

namespace Skald.Training.Config;

/// <summary>
/// A config value and where it came from (<c>file:line</c>, or <see cref="CommandLine"/>); <paramref name="SetBy"/> locates
/// values inside a mapping that a <c>--set section.key.sub=...</c> put there (<see cref="DottedKey"/>), by reference.
/// </summary>
public sealed record ConfigEntry(YamlNode Node, string Where, IReadOnlyDictionary<YamlNode, string>? SetBy = null)
{
    /// <summary>
    /// Where a value a <c>--set</c> gave came from, as a file's come from <c>file:line</c>: <c>--set</c> alone, since a
    /// message about a key names it after the location (<c>--set: tok.vocab_size must be a whole number, got 'lots'</c>,
    /// not <c>--set tok.vocab_size: tok.vocab_size ...</c>).
    /// </summary>
    public const string CommandLine = "--set";
}
