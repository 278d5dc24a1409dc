using System.Text;
using Skald.Tokenizers.Serialization;

namespace Skald.Tokenizers.Templates;

/// <summary>
/// Executes parsed statements into text. Scoping follows Jinja: each for-loop iteration and each macro call get a child
/// scope (a <c>set</c> there is not seen outside; use <c>namespace()</c> to carry state), <c>if</c> shares its scope.
/// With a <see cref="RenderLimit"/>, the top-level output (what <see cref="RenderOutput"/> returns; blocks captured by
/// <c>set</c>, <c>filter</c> or a macro are not it until printed there) is checked as it grows, and the rendering stops
/// with <see cref="RenderStoppedException"/> once the limit says it is past.
/// </summary>
internal sealed class TemplateRenderer
{
    private enum Flow { Normal, Break, Continue }

    private const int MaxMacroDepth = 100;

    private readonly ExpressionEvaluator _eval;
    private readonly RenderLimit? _limit;
    private StringBuilder? _output;
    private long _nextCheck;
    private int _macroDepth;

    /// <summary>Creates a renderer whose output is checked against <paramref name="limit"/> (null: none).</summary>
    public TemplateRenderer(RenderLimit? limit = null)
    {
        _eval = new ExpressionEvaluator(this);
        _limit = limit;
        _nextCheck = limit?.FirstCheck ?? long.MaxValue;
    }

    /// <summary>
    /// Characters of top-level output written so far (where a stopped rendering got to), for tests that count the work
    /// a long conversation costs.
    /// </summary>
    public int Written => _output?.Length ?? 0;

    /// <summary>
    /// Renders <paramref name="body"/> in <paramref name="scope"/> as the top-level output, checked against the limit
    /// (throws <see cref="RenderStoppedException"/> when it is passed).
    /// </summary>
    public string RenderOutput(List<Stmt> body, Scope scope)
    {
        _output = new StringBuilder();
        Exec(body, scope, _output);
        return _output.ToString();
    }

    /// <summary>Renders <paramref name="body"/> in <paramref name="scope"/> into a text of its own (a captured block, a macro).</summary>
    public string Render(List<Stmt> body, Scope scope)
    {
        var sb = new StringBuilder();
        Exec(body, scope, sb);
        return sb.ToString();
    }

    // After a write to sb: the limit's check, when sb is the top-level output and has reached the next check length.
    private void Wrote(StringBuilder sb)
    {
        if (sb.Length < _nextCheck || !ReferenceEquals(sb, _output)) return;
        if (_limit!.Exceeded(sb.ToString())) throw new RenderStoppedException();
        _nextCheck = 2L * sb.Length;
    }

    private Flow Exec(List<Stmt> body, Scope scope, StringBuilder sb)
    {
        foreach (var s in body)
        {
            Flow f;
            try
            {
                f = ExecOne(s, scope, sb);
            }
            catch (TemplateRuntimeException ex) when (ex.Position < 0)
            {
                ex.Position = s.Position;
                throw;
            }
            if (f != Flow.Normal) return f;
        }
        return Flow.Normal;
    }

    private Flow ExecOne(Stmt s, Scope scope, StringBuilder sb)
    {
        switch (s.Kind)
        {
            case StmtKind.Text:
                sb.Append(s.Text);
                Wrote(sb);
                break;
            case StmtKind.Print:
                sb.Append(PyFormat.Str(_eval.Eval(s.Value!, scope)));
                Wrote(sb);
                break;
            case StmtKind.If:
                foreach (var (cond, branch) in s.Branches)
                    if (PyOps.Truthy(_eval.Eval(cond, scope))) return Exec(branch, scope, sb);
                return Exec(s.Else, scope, sb);
            case StmtKind.For: ExecFor(s, scope, sb); break;
            case StmtKind.Set: ExecSet(s, scope); break;
            case StmtKind.SetBlock:
                var captured = Render(s.Body, scope);
                scope.Set(s.Text, s.Value is null ? captured : _eval.ApplyFilterChain(s.Value, scope, captured));
                break;
            case StmtKind.FilterBlock:
                sb.Append(PyFormat.Str(_eval.ApplyFilterChain(s.Value!, scope, Render(s.Body, scope))));
                Wrote(sb);
                break;
            case StmtKind.Macro: scope.Set(s.Text, new Macro(s, scope)); break;
            case StmtKind.Generation: return Exec(s.Body, scope, sb);
            case StmtKind.Break: return Flow.Break;
            case StmtKind.Continue: return Flow.Continue;
        }
        return Flow.Normal;
    }

    private void ExecFor(Stmt s, Scope scope, StringBuilder sb)
    {
        var items = PyOps.Iterate(_eval.Eval(s.Value!, scope));
        if (s.Condition is not null)
        {
            var kept = new List<object?>();
            foreach (var item in items)
            {
                var probe = new Scope(scope);
                Bind(probe, s.Targets, item);
                if (PyOps.Truthy(_eval.Eval(s.Condition, probe))) kept.Add(item);
            }
            items = kept;
        }
        if (items.Count == 0)
        {
            Exec(s.Else, scope, sb);
            return;
        }
        var loop = new LoopInfo(items);
        for (int i = 0; i < items.Count; i++)
        {
            loop.Index0 = i;
            var iteration = new Scope(scope);
            iteration.Set("loop", loop);
            Bind(iteration, s.Targets, items[i]);
            if (Exec(s.Body, iteration, sb) == Flow.Break) break;
        }
    }

    private static void Bind(Scope scope, string[] targets, object? value)
    {
        if (targets.Length == 1)
        {
            scope.Set(targets[0], value);
            return;
        }
        var parts = PyOps.Iterate(value);
        if (parts.Count != targets.Length)
            throw new TemplateRuntimeException($"cannot unpack {parts.Count} values into {targets.Length} names");
        for (int i = 0; i < targets.Length; i++) scope.Set(targets[i], parts[i]);
    }

    private void ExecSet(Stmt s, Scope scope)
    {
        var value = _eval.Eval(s.Value!, scope);
        if (s.Attribute is null)
        {
            Bind(scope, s.Targets, value);
            return;
        }
        if (!scope.TryGet(s.Targets[0], out var target) || target is not TemplateNamespace ns)
            throw new TemplateRuntimeException($"cannot assign the attribute '{s.Attribute}' of '{s.Targets[0]}': it is not a namespace()");
        ns.Attributes[s.Attribute] = value;
    }

    /// <summary>Calls a macro: binds positional and keyword arguments (defaults evaluated at call time) and renders its body.</summary>
    public string CallMacro(Macro macro, List<object?> args, Dictionary<string, object?> kwargs)
    {
        var def = macro.Definition;
        var scope = new Scope(macro.Closure);
        var parameters = def.Parameters;
        if (args.Count > parameters.Count)
            throw new TemplateRuntimeException($"the macro '{def.Text}' takes {Counted.Of(parameters.Count, "argument")} but was given {args.Count}");
        for (int i = 0; i < parameters.Count; i++)
        {
            var (name, fallback) = parameters[i];
            object? value;
            if (i < args.Count) value = args[i];
            else if (kwargs.Remove(name, out var kv)) value = kv;
            else value = fallback is null ? new Undefined($"the macro argument '{name}' was not given") : _eval.Eval(fallback, scope);
            scope.Set(name, value);
        }
        if (kwargs.Count > 0)
            throw new TemplateRuntimeException($"the macro '{def.Text}' has no argument '{kwargs.Keys.First()}'");
        if (++_macroDepth > MaxMacroDepth)
            throw new TemplateRuntimeException($"the macro '{def.Text}' recurses deeper than {MaxMacroDepth} calls");
        try
        {
            return Render(def.Body, scope);
        }
        finally
        {
            _macroDepth--;
        }
    }
}
