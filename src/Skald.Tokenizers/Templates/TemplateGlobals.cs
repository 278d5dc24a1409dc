namespace Skald.Tokenizers.Templates;

/// <summary>
/// The global functions a chat template sees: Jinja's <c>namespace</c>, <c>range</c>, <c>dict</c>, and the two
/// Hugging Face adds, <c>raise_exception(msg)</c> and <c>strftime_now(fmt)</c>.
/// </summary>
internal static class TemplateGlobals
{
    /// <summary>Puts the globals into <paramref name="scope"/>; <paramref name="now"/> is the clock strftime_now reads.</summary>
    public static void Install(Scope scope, Func<DateTime> now)
    {
        scope.Set("raise_exception", new TemplateFunction("raise_exception", (args, kw) =>
            throw new TemplateRuntimeException(PyFormat.Str(TemplateArgs.Get(args, kw, 0, "message", "")), raised: true)));
        scope.Set("strftime_now", new TemplateFunction("strftime_now", (args, kw) =>
            StrfTime.Format(now(), TemplateArgs.String(args, kw, 0, "format", "")!)));
        scope.Set("namespace", new TemplateFunction("namespace", (args, kw) =>
        {
            var ns = new TemplateNamespace();
            foreach (var a in args)
            {
                if (a is not Dictionary<string, object?> d) throw new TemplateRuntimeException("namespace() takes a dict or keyword arguments");
                foreach (var (k, v) in d) ns.Attributes[k] = v;
            }
            foreach (var (k, v) in kw) ns.Attributes[k] = v;
            return ns;
        }));
        scope.Set("dict", new TemplateFunction("dict", (args, kw) =>
        {
            var d = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var a in args)
                if (a is Dictionary<string, object?> src) foreach (var (k, v) in src) d[k] = v;
                else throw new TemplateRuntimeException("dict() takes a dict or keyword arguments");
            foreach (var (k, v) in kw) d[k] = v;
            return d;
        }));
        scope.Set("range", new TemplateFunction("range", (args, kw) =>
        {
            long start = 0, stop, step = 1;
            if (args.Count == 1) stop = TemplateArgs.Int(args, kw, 0, "stop", 0);
            else
            {
                start = TemplateArgs.Int(args, kw, 0, "start", 0);
                stop = TemplateArgs.Int(args, kw, 1, "stop", 0);
                step = TemplateArgs.Int(args, kw, 2, "step", 1);
            }
            if (step == 0) throw new TemplateRuntimeException("range() step must not be zero");
            var list = new List<object?>();
            for (long i = start; step > 0 ? i < stop : i > stop; i += step)
            {
                list.Add(i);
                if (list.Count > 100_000) throw new TemplateRuntimeException("range() is too long");
            }
            return list;
        }));
    }
}
