namespace Skald.Tokenizers.Templates;

/// <summary>A global function (raise_exception, strftime_now, namespace, range, dict …): positional and keyword arguments in, a value out.</summary>
/// <param name="Name">The function name.</param>
/// <param name="Invoke">The implementation.</param>
internal sealed record TemplateFunction(string Name, Func<IReadOnlyList<object?>, IReadOnlyDictionary<string, object?>, object?> Invoke);
