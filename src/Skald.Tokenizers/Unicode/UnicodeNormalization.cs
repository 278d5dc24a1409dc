using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Unicode;

/// <summary>
/// Unicode normalization with alignment tracking, producing the same (char, change) stream as the
/// unicode-normalization-alignments crate HF tokenizers uses: the first char of a decomposition
/// replaces its source char (change 0), the others are insertions (+1); changes travel with chars
/// through canonical reordering; composing a char into its starter adds (change - 1) to the starter.
/// </summary>
internal static class UnicodeNormalization
{
    /// <summary>Normalizes <paramref name="ns"/> in place.</summary>
    public static void Apply(NormalizedString ns, NormalizationKind kind)
    {
        if (IsQuickYes(ns, kind)) return;
        bool compat = kind is NormalizationKind.Nfkd or NormalizationKind.Nfkc;
        var items = Decompose(ns, compat);
        if (kind is NormalizationKind.Nfc or NormalizationKind.Nfkc) items = Recompose(items);
        var t = ns.BeginTransform();
        foreach (var (cp, change) in items) t.Emit(cp, change);
        t.Commit();
    }

    private static bool IsQuickYes(NormalizedString ns, NormalizationKind kind)
    {
        var span = ns.Span;
        foreach (char c in span)
            if (c >= 0x300) return false;
        // Below U+0300 only decomposable Latin-1 chars matter.
        foreach (char c in span)
        {
            if (c < 0xA0) continue;
            if (kind is NormalizationKind.Nfkd or NormalizationKind.Nfkc)
            {
                if (UnicodeData.Is(c, UnicodeData.HasNfkd)) return false;
            }
            else if (UnicodeData.Is(c, UnicodeData.HasNfd))
            {
                if (kind == NormalizationKind.Nfd) return false;
                // NFC: precomposed Latin-1 letters recompose to themselves; only the odd ones change.
                var tmp = new List<int>();
                UnicodeData.TryDecompose(c, false, tmp);
                if (tmp.Count != 2 || UnicodeData.Compose(tmp[0], tmp[1]) != c) return false;
            }
        }
        return true;
    }

    private static List<(int Cp, int Change)> Decompose(NormalizedString ns, bool compat)
    {
        var result = new List<(int Cp, int Change)>(ns.Length + 8);
        var tmp = new List<int>(8);
        int pendingStart = 0; // start of the not yet ordered non-starter run
        for (int i = 0; i < ns.Length;)
        {
            int cp = ns.CodePointAt(i, out int w);
            i += w;
            tmp.Clear();
            if (!UnicodeData.TryDecompose(cp, compat, tmp)) tmp.Add(cp);
            for (int k = 0; k < tmp.Count; k++)
            {
                int d = tmp[k];
                if (UnicodeData.Ccc(d) == 0)
                {
                    SortPending(result, pendingStart);
                    result.Add((d, k == 0 ? 0 : 1));
                    pendingStart = result.Count;
                }
                else
                {
                    result.Add((d, k == 0 ? 0 : 1));
                }
            }
        }
        SortPending(result, pendingStart);
        return result;
    }

    private static void SortPending(List<(int Cp, int Change)> items, int start)
    {
        int n = items.Count - start;
        if (n < 2) return;
        // Stable insertion sort by combining class.
        for (int i = start + 1; i < items.Count; i++)
        {
            var x = items[i];
            int cx = UnicodeData.Ccc(x.Cp);
            int j = i - 1;
            while (j >= start && UnicodeData.Ccc(items[j].Cp) > cx)
            {
                items[j + 1] = items[j];
                j--;
            }
            items[j + 1] = x;
        }
    }

    private static List<(int Cp, int Change)> Recompose(List<(int Cp, int Change)> items)
    {
        var output = new List<(int Cp, int Change)>(items.Count);
        var buffer = new List<(int Cp, int Change)>();
        (int Cp, int Change)? composee = null;
        int lastCcc = -1; // -1: nothing buffered since composee
        foreach (var item in items)
        {
            int ccc = UnicodeData.Ccc(item.Cp);
            if (composee is null)
            {
                if (ccc != 0)
                {
                    output.Add(item);
                    continue;
                }
                composee = item;
                continue;
            }
            var k = composee.Value;
            if (lastCcc < 0 || lastCcc < ccc)
            {
                int r = UnicodeData.Compose(k.Cp, item.Cp);
                if (r >= 0)
                {
                    composee = (r, k.Change + item.Change - 1);
                    continue;
                }
            }
            if (ccc == 0)
            {
                output.Add(k);
                output.AddRange(buffer);
                buffer.Clear();
                composee = item;
                lastCcc = -1;
                continue;
            }
            buffer.Add(item);
            lastCcc = ccc;
        }
        if (composee is not null) output.Add(composee.Value);
        output.AddRange(buffer);
        return output;
    }
}
