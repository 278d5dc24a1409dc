using YamlDotNet.RepresentationModel;

namespace Skald.Training.Config;

/// <summary>
/// A config value and where it came from (<c>file:line</c> or <c>--set section.key</c>); <paramref name="SetBy"/> locates
/// values inside a mapping that a <c>--set section.key.sub=...</c> put there (<see cref="DottedKey"/>), by reference.
/// </summary>
public sealed record ConfigEntry(YamlNode Node, string Where, IReadOnlyDictionary<YamlNode, string>? SetBy = null);
