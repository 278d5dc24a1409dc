namespace Skald.Tokenizers.Templates;

/// <summary>
/// Thrown by <see cref="TemplateRenderer"/> when its <see cref="RenderLimit"/> says the text so far is past it, and
/// caught by <see cref="ChatTemplate"/> (whose <see cref="ChatTemplate.ApplyWithin"/> then returns null).
/// </summary>
internal sealed class RenderStoppedException : Exception
{
    /// <summary>Creates the signal.</summary>
    public RenderStoppedException() : base("the rendering passed its limit") { }
}
