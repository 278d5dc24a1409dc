namespace Skald.Tokenizers.Templates;

/// <summary>A method looked up on a value (<c>s.strip</c>, <c>d.items</c>, <c>loop.cycle</c>), called later.</summary>
/// <param name="Target">The value the method belongs to.</param>
/// <param name="Name">The method name.</param>
internal sealed record BoundMethod(object Target, string Name);
