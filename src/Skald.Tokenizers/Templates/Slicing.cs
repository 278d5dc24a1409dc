namespace Skald.Tokenizers.Templates;

/// <summary>Python slicing <c>x[start:stop:step]</c> of lists, tuples and strings (by code point).</summary>
internal static class Slicing
{
    /// <summary>Slices <paramref name="value"/>; null bounds are omitted ones.</summary>
    public static object? Slice(object? value, long? start, long? stop, long? step)
    {
        long st = step ?? 1;
        if (st == 0) throw new TemplateRuntimeException("slice step cannot be zero");
        switch (value)
        {
            case List<object?> list: return Take(list, start, stop, st);
            case object?[] tuple: return Take(tuple, start, stop, st).ToArray();
            case string s:
                var parts = Take(PyOps.Chars(s), start, stop, st);
                return string.Concat(parts.Select(p => (string)p!));
            case Undefined u: return new Undefined(u.Hint);
        }
        throw new TemplateRuntimeException($"a {PyFormat.TypeName(value)} cannot be sliced");
    }

    private static List<object?> Take(IList<object?> seq, long? start, long? stop, long step)
    {
        long n = seq.Count;
        long lo, hi;
        if (step > 0)
        {
            lo = Clamp(start ?? 0, n, 0, n);
            hi = Clamp(stop ?? n, n, 0, n);
        }
        else
        {
            lo = Clamp(start ?? n - 1, n, -1, n - 1);
            hi = stop is null ? -1 : Clamp(stop.Value, n, -1, n - 1);
        }
        var result = new List<object?>();
        if (step > 0) for (long i = lo; i < hi; i += step) result.Add(seq[(int)i]);
        else for (long i = lo; i > hi; i += step) result.Add(seq[(int)i]);
        return result;
    }

    private static long Clamp(long index, long n, long min, long max)
    {
        if (index < 0) index += n;
        return Math.Clamp(index, min, max);
    }
}
