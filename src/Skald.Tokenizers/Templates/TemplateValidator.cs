namespace Skald.Tokenizers.Templates;

/// <summary>
/// Checks a parsed template before any rendering: every filter and test it names must be in the supported subset,
/// so an unsupported one fails at load time with its line and column, not only when a branch reaches it.
/// </summary>
internal static class TemplateValidator
{
    /// <summary>Throws a <see cref="ChatTemplateException"/> for the first unsupported filter or test.</summary>
    public static void Check(List<Stmt> body, string source)
    {
        foreach (var s in body) Check(s, source);
    }

    private static void Check(Stmt s, string source)
    {
        Check(s.Value, source);
        Check(s.Condition, source);
        foreach (var (cond, branch) in s.Branches)
        {
            Check(cond, source);
            Check(branch, source);
        }
        foreach (var (_, fallback) in s.Parameters) Check(fallback, source);
        Check(s.Body, source);
        Check(s.Else, source);
    }

    private static void Check(Expr? e, string source)
    {
        if (e is null) return;
        if (e.Kind == ExprKind.Filter && !TemplateFilters.Names.Contains(e.Name))
            throw TemplateErrors.At(source, e.Position, $"the filter '{e.Name}' is not supported");
        if (e.Kind == ExprKind.Test && !TemplatePredicates.Names.Contains(e.Name))
            throw TemplateErrors.At(source, e.Position, $"the test '{e.Name}' is not supported");
        foreach (var item in e.Items) Check(item, source);
        foreach (var (_, value) in e.Kwargs) Check(value, source);
    }
}
