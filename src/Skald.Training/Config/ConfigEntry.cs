using YamlDotNet.RepresentationModel;

namespace Skald.Training.Config;

/// <summary>A config value and where it came from (<c>file:line</c> or <c>--set section.key</c>).</summary>
public sealed record ConfigEntry(YamlNode Node, string Where);
