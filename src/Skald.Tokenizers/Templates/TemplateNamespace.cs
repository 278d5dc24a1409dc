namespace Skald.Tokenizers.Templates;

/// <summary>The object <c>namespace(…)</c> returns: the one value whose attributes <c>{% set ns.x = … %}</c> may assign.</summary>
internal sealed class TemplateNamespace
{
    /// <summary>The attributes, in insertion order.</summary>
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}
