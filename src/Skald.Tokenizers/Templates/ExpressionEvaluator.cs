namespace Skald.Tokenizers.Templates;

/// <summary>
/// Evaluates expressions with Jinja's lookup rules: <c>x.name</c> tries the value's attribute (a method) and then its
/// item, <c>x[key]</c> the item and then the attribute; a missing name, key, index or attribute gives
/// <see cref="Undefined"/>. A failure is stamped with the offset of the innermost node that failed.
/// </summary>
internal sealed class ExpressionEvaluator
{
    private readonly TemplateRenderer _renderer;

    /// <summary>Creates an evaluator whose macro calls render through <paramref name="renderer"/>.</summary>
    public ExpressionEvaluator(TemplateRenderer renderer) => _renderer = renderer;

    /// <summary>Evaluates <paramref name="e"/> in <paramref name="scope"/>.</summary>
    public object? Eval(Expr e, Scope scope)
    {
        try
        {
            return EvalCore(e, scope);
        }
        catch (TemplateRuntimeException ex) when (ex.Position < 0)
        {
            ex.Position = e.Position;
            throw;
        }
    }

    private object? EvalCore(Expr e, Scope scope)
    {
        switch (e.Kind)
        {
            case ExprKind.Literal: return e.Value;
            case ExprKind.Name:
                return scope.TryGet(e.Name, out var v) ? v : new Undefined($"'{e.Name}' is undefined");
            case ExprKind.List: return e.Items.Select(i => Eval(i!, scope)).ToList();
            case ExprKind.Tuple: return e.Items.Select(i => Eval(i!, scope)).ToArray();
            case ExprKind.Dict:
                var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
                for (int i = 0; i < e.Items.Length; i += 2)
                {
                    var key = Eval(e.Items[i]!, scope);
                    if (key is not string k) throw new TemplateRuntimeException($"dict keys must be strings here, not a {PyFormat.TypeName(key)}");
                    dict[k] = Eval(e.Items[i + 1]!, scope);
                }
                return dict;
            case ExprKind.GetAttr: return GetAttr(Eval(e.Items[0]!, scope), e.Name);
            case ExprKind.GetItem: return GetItem(Eval(e.Items[0]!, scope), Eval(e.Items[1]!, scope));
            case ExprKind.Slice:
                return Slicing.Slice(Eval(e.Items[0]!, scope), Bound(e.Items[1], scope), Bound(e.Items[2], scope), Bound(e.Items[3], scope));
            case ExprKind.Call: return Call(e, scope);
            case ExprKind.Filter: return ApplyFilterChain(e, scope, null);
            case ExprKind.Test:
                var (targs, tkw) = Arguments(e, scope);
                bool result = TemplatePredicates.Test(e.Name, Eval(e.Items[0]!, scope), targs, tkw);
                return e.Negated ? !result : result;
            case ExprKind.Unary:
                var operand = Eval(e.Items[0]!, scope);
                return e.Name == "not" ? !PyOps.Truthy(operand) : PyOps.Negate(operand, e.Name == "-");
            case ExprKind.Binary:
                var a = Eval(e.Items[0]!, scope);
                var b = Eval(e.Items[1]!, scope);
                return e.Name == "~" ? PyFormat.Str(a) + PyFormat.Str(b) : PyOps.Arithmetic(e.Name, a, b);
            case ExprKind.And:
                var left = Eval(e.Items[0]!, scope);
                return PyOps.Truthy(left) ? Eval(e.Items[1]!, scope) : left;
            case ExprKind.Or:
                var l = Eval(e.Items[0]!, scope);
                return PyOps.Truthy(l) ? l : Eval(e.Items[1]!, scope);
            case ExprKind.Compare: return Compare(e, scope);
            case ExprKind.Conditional:
                if (PyOps.Truthy(Eval(e.Items[1]!, scope))) return Eval(e.Items[0]!, scope);
                return e.Items[2] is null ? new Undefined("the conditional expression has no else branch") : Eval(e.Items[2]!, scope);
        }
        throw new TemplateRuntimeException($"unknown expression {e.Kind}");
    }

    private long? Bound(Expr? e, Scope scope)
    {
        if (e is null) return null;
        return Eval(e, scope) switch
        {
            null => null,
            long l => l,
            bool b => b ? 1 : 0,
            var x => throw new TemplateRuntimeException($"slice indices must be integers or none, not a {PyFormat.TypeName(x)}"),
        };
    }

    private bool Compare(Expr e, Scope scope)
    {
        var left = Eval(e.Items[0]!, scope);
        for (int i = 0; i < e.Ops.Length; i++)
        {
            var right = Eval(e.Items[i + 1]!, scope);
            string op = e.Ops[i];
            bool ok = op switch
            {
                "==" => PyOps.Equal(left, right),
                "!=" => !PyOps.Equal(left, right),
                "<" => PyOps.Compare(left, right, op) < 0,
                "<=" => PyOps.Compare(left, right, op) <= 0,
                ">" => PyOps.Compare(left, right, op) > 0,
                ">=" => PyOps.Compare(left, right, op) >= 0,
                "in" => PyOps.Contains(right, left),
                "not in" => !PyOps.Contains(right, left),
                _ => throw new TemplateRuntimeException($"unknown comparison {op}"),
            };
            if (!ok) return false;
            left = right;
        }
        return true;
    }

    /// <summary>Evaluates the positional (after items[0]) and keyword arguments of a call, filter or test.</summary>
    public (List<object?> Args, Dictionary<string, object?> Kwargs) Arguments(Expr e, Scope scope)
    {
        var args = new List<object?>();
        for (int i = 1; i < e.Items.Length; i++) args.Add(Eval(e.Items[i]!, scope));
        var kwargs = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in e.Kwargs) kwargs[name] = Eval(value, scope);
        return (args, kwargs);
    }

    /// <summary>
    /// Applies a filter chain; the innermost filter whose input expression is null (a filter block, a filtered set
    /// block) takes <paramref name="input"/>.
    /// </summary>
    public object? ApplyFilterChain(Expr e, Scope scope, object? input)
    {
        if (e.Kind != ExprKind.Filter) return e.Kind == ExprKind.Literal && e.Value is null ? input : Eval(e, scope);
        try
        {
            var value = e.Items[0] is null ? input : ApplyFilterChain(e.Items[0]!, scope, input);
            var (args, kwargs) = Arguments(e, scope);
            return TemplateFilters.Apply(e.Name, value, args, kwargs);
        }
        catch (TemplateRuntimeException ex) when (ex.Position < 0)
        {
            ex.Position = e.Position;
            throw;
        }
    }

    private object? Call(Expr e, Scope scope)
    {
        var callee = Eval(e.Items[0]!, scope);
        var (args, kwargs) = Arguments(e, scope);
        return callee switch
        {
            BoundMethod m => TemplateMethods.Call(m, args, kwargs),
            TemplateFunction f => f.Invoke(args, kwargs),
            Macro macro => _renderer.CallMacro(macro, args, kwargs),
            Undefined u => throw new TemplateRuntimeException($"{u.Hint} (it cannot be called)"),
            _ => throw new TemplateRuntimeException($"a {PyFormat.TypeName(callee)} cannot be called"),
        };
    }

    /// <summary>Jinja's <c>getattr</c>: the value's method or attribute, else its item, else Undefined.</summary>
    public static object? GetAttr(object? obj, string name)
    {
        switch (obj)
        {
            case Dictionary<string, object?> d:
                if (TemplateMethods.IsMethod(d, name)) return new BoundMethod(d, name);
                return d.TryGetValue(name, out var v) ? v : new Undefined($"'dict object' has no attribute '{name}'");
            case string s when TemplateMethods.IsMethod(s, name): return new BoundMethod(s, name);
            case List<object?> l when TemplateMethods.IsMethod(l, name): return new BoundMethod(l, name);
            case TemplateNamespace ns:
                return ns.Attributes.TryGetValue(name, out var a) ? a : new Undefined($"the namespace has no attribute '{name}'");
            case LoopInfo loop:
                return loop.TryGet(name, out var lv) ? lv : new Undefined($"'loop' has no attribute '{name}'");
            case Undefined u: return new Undefined(u.Hint);
        }
        return new Undefined($"'{PyFormat.TypeName(obj)} object' has no attribute '{name}'");
    }

    /// <summary>Jinja's <c>getitem</c>: the item, else (for a string key) the attribute, else Undefined.</summary>
    public static object? GetItem(object? obj, object? key)
    {
        switch (obj)
        {
            case Dictionary<string, object?> d when key is string k:
                return d.TryGetValue(k, out var v) ? v : new Undefined($"'dict object' has no attribute '{k}'");
            case IList<object?> list when key is long or bool:
                long i = key is bool b ? (b ? 1 : 0) : (long)key;
                if (i < 0) i += list.Count;
                return i >= 0 && i < list.Count ? list[(int)i] : new Undefined($"index {key} is out of range");
            case string s when key is long idx:
                var chars = PyOps.Chars(s);
                if (idx < 0) idx += chars.Count;
                return idx >= 0 && idx < chars.Count ? chars[(int)idx] : new Undefined($"index {key} is out of range");
            case Undefined u: return new Undefined(u.Hint);
        }
        if (key is string attr) return GetAttr(obj, attr);
        return new Undefined($"'{PyFormat.TypeName(obj)} object' has no item {PyFormat.Repr(key)}");
    }
}
