using System.Runtime.CompilerServices;
using System.Text;

namespace Skald.Tokenizers.Core;

/// <summary>
/// A piece of the input text together with its normalized form, mirroring Hugging Face's
/// <c>NormalizedString</c>: every UTF-16 unit of the normalized text carries the range of the
/// original text (absolute UTF-16 offsets into the whole input) it came from. The two units of a
/// surrogate pair always carry the same alignment, so alignment is per code point as in HF.
/// </summary>
/// <remarks>Upstream: https://github.com/huggingface/tokenizers/blob/v0.23.1/tokenizers/src/tokenizer/normalizer.rs</remarks>
internal sealed class NormalizedString
{
    private char[] _chars;
    private int[] _alignStart;
    private int[] _alignEnd;
    private int _length;

    /// <summary>Creates a normalized string equal to <paramref name="text"/> (identity alignment).</summary>
    public NormalizedString(string text)
    {
        _length = text.Length;
        _chars = text.ToCharArray();
        _alignStart = new int[_length];
        _alignEnd = new int[_length];
        for (int i = 0; i < _length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < _length && char.IsLowSurrogate(text[i + 1]))
            {
                _alignStart[i] = _alignStart[i + 1] = i;
                _alignEnd[i] = _alignEnd[i + 1] = i + 2;
                i++;
            }
            else
            {
                _alignStart[i] = i;
                _alignEnd[i] = i + 1;
            }
        }
        OriginalStart = 0;
        OriginalEnd = _length;
    }

    private NormalizedString(char[] chars, int[] start, int[] end, int length, int originalStart, int originalEnd)
    {
        _chars = chars;
        _alignStart = start;
        _alignEnd = end;
        _length = length;
        OriginalStart = originalStart;
        OriginalEnd = originalEnd;
    }

    /// <summary>Absolute start (UTF-16) of the original range this piece covers (HF's original_shift).</summary>
    public int OriginalStart { get; }

    /// <summary>Absolute end (UTF-16) of the original range this piece covers.</summary>
    public int OriginalEnd { get; }

    /// <summary>Length of the normalized text in UTF-16 units.</summary>
    public int Length => _length;

    /// <summary>The normalized text.</summary>
    public ReadOnlySpan<char> Span => _chars.AsSpan(0, _length);

    /// <summary>The normalized text as a new string.</summary>
    public override string ToString() => new(_chars, 0, _length);

    /// <summary>Absolute original start of the normalized unit at <paramref name="i"/>.</summary>
    public int AlignStart(int i) => _alignStart[i];

    /// <summary>Absolute original end of the normalized unit at <paramref name="i"/>.</summary>
    public int AlignEnd(int i) => _alignEnd[i];

    /// <summary>
    /// Maps a normalized range [start, end) to an absolute original range, as HF's convert_offsets
    /// does (an empty range is returned unchanged, in normalized coordinates shifted to the piece).
    /// </summary>
    public (int Start, int End) ToOriginal(int start, int end)
    {
        if (start >= end)
        {
            if (_length == 0 && start == 0 && end == 0)
                return (OriginalStart, OriginalEnd);
            return (OriginalStart + start, OriginalStart + end);
        }
        return (_alignStart[start], _alignEnd[end - 1]);
    }

    /// <summary>Reads the code point at <paramref name="i"/> and its UTF-16 length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int CodePointAt(int i, out int width)
    {
        char c = _chars[i];
        if (char.IsHighSurrogate(c) && i + 1 < _length && char.IsLowSurrogate(_chars[i + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(c, _chars[i + 1]);
        }
        width = 1;
        return c;
    }

    /// <summary>Number of code points in the normalized text.</summary>
    public int CodePointCount()
    {
        int n = 0;
        for (int i = 0; i < _length; i += CodePointWidth(i)) n++;
        return n;
    }

    private int CodePointWidth(int i) =>
        char.IsHighSurrogate(_chars[i]) && i + 1 < _length && char.IsLowSurrogate(_chars[i + 1]) ? 2 : 1;

    /// <summary>
    /// Starts rewriting the whole normalized text (HF's <c>transform</c>). Emit every new code point
    /// with its change: 0 = replaces the next old char, +1 = inserted (aligned with the previous old
    /// char), -n = replaces the next old char and also removes n more. <paramref name="initialOffset"/>
    /// old chars are removed before the first emitted one.
    /// </summary>
    public Transformer BeginTransform(int initialOffset = 0) => new(this, initialOffset);

    /// <summary>Builds the rewritten text, see <see cref="BeginTransform"/>.</summary>
    public sealed class Transformer
    {
        private readonly NormalizedString _owner;
        private char[] _chars;
        private int[] _start;
        private int[] _end;
        private int _len;
        private int _oldPos;

        internal Transformer(NormalizedString owner, int initialOffset)
        {
            _owner = owner;
            int cap = Math.Max(4, owner._length + 4);
            _chars = new char[cap];
            _start = new int[cap];
            _end = new int[cap];
            SkipOld(initialOffset);
        }

        private void SkipOld(int count)
        {
            for (int k = 0; k < count && _oldPos < _owner._length; k++)
                _oldPos += _owner.CodePointWidth(_oldPos);
        }

        /// <summary>Drops the next <paramref name="count"/> old chars without emitting anything.</summary>
        public void SkipRemoved(int count) => SkipOld(count);

        /// <summary>Emits one code point with its change (see <see cref="BeginTransform"/>).</summary>
        public void Emit(int codePoint, int change)
        {
            int s, e;
            if (change > 0)
            {
                if (_oldPos < 1)
                {
                    s = e = _owner.OriginalStart;
                }
                else
                {
                    s = _owner._alignStart[_oldPos - 1];
                    e = _owner._alignEnd[_oldPos - 1];
                }
            }
            else
            {
                if (_oldPos < _owner._length)
                {
                    s = _owner._alignStart[_oldPos];
                    e = _owner._alignEnd[_oldPos];
                    _oldPos += _owner.CodePointWidth(_oldPos);
                }
                else
                {
                    // HF would index out of range here; keep the last alignment instead of throwing.
                    s = _owner._length > 0 ? _owner._alignStart[_owner._length - 1] : _owner.OriginalStart;
                    e = _owner._length > 0 ? _owner._alignEnd[_owner._length - 1] : _owner.OriginalStart;
                }
                if (change < 0) SkipOld(-change);
            }
            int w = codePoint >= 0x10000 ? 2 : 1;
            if (_len + w > _chars.Length) Grow(_len + w);
            if (w == 1)
            {
                _chars[_len] = (char)codePoint;
                _start[_len] = s;
                _end[_len] = e;
                _len++;
            }
            else
            {
                int v = codePoint - 0x10000;
                _chars[_len] = (char)(0xD800 + (v >> 10));
                _chars[_len + 1] = (char)(0xDC00 + (v & 0x3FF));
                _start[_len] = _start[_len + 1] = s;
                _end[_len] = _end[_len + 1] = e;
                _len += 2;
            }
        }

        private void Grow(int need)
        {
            int cap = Math.Max(need, _chars.Length * 2);
            Array.Resize(ref _chars, cap);
            Array.Resize(ref _start, cap);
            Array.Resize(ref _end, cap);
        }

        /// <summary>Replaces the owner's normalized text with what was emitted.</summary>
        public void Commit()
        {
            _owner._chars = _chars;
            _owner._alignStart = _start;
            _owner._alignEnd = _end;
            _owner._length = _len;
        }
    }

    /// <summary>
    /// Keeps only code points for which <paramref name="keep"/> is true (HF's <c>filter</c>):
    /// removed chars are folded into the change of the previous kept char.
    /// </summary>
    public void Filter(Func<int, bool> keep)
    {
        // Collect (cp, change) like HF: removed chars after a kept char count against that char;
        // removed chars before the first kept char become the initial offset.
        var kept = new List<(int Cp, int Change)>(_length);
        int removed = 0, removedStart = 0;
        int last = -1;
        bool any = false, changed = false;
        for (int i = 0; i < _length;)
        {
            int cp = CodePointAt(i, out int w);
            i += w;
            if (keep(cp))
            {
                if (any) kept.Add((last, -removed));
                else removedStart = removed;
                last = cp;
                any = true;
                removed = 0;
            }
            else
            {
                removed++;
                changed = true;
            }
        }
        if (!changed) return;
        if (any) kept.Add((last, -removed));
        var t = BeginTransform(removedStart);
        foreach (var (cp, ch) in kept) t.Emit(cp, ch);
        t.Commit();
    }

    /// <summary>Maps every code point through <paramref name="map"/> (HF's <c>map</c>).</summary>
    public void Map(Func<int, int> map)
    {
        for (int i = 0; i < _length;)
        {
            int cp = CodePointAt(i, out int w);
            int m = map(cp);
            if (m != cp && (w == 2 || m >= 0x10000))
            {
                // Width changes: rebuild through a transform.
                var t = BeginTransform();
                for (int j = 0; j < _length;)
                {
                    int c = CodePointAt(j, out int wj);
                    t.Emit(map(c), 0);
                    j += wj;
                }
                t.Commit();
                return;
            }
            if (m != cp) _chars[i] = (char)m;
            i += w;
        }
    }

    /// <summary>Prepends <paramref name="s"/> (HF's <c>prepend</c>): it takes the first char's alignment.</summary>
    public void Prepend(string s)
    {
        if (_length == 0) return;
        var t = BeginTransform();
        bool first = true;
        foreach (Rune r in s.EnumerateRunes())
        {
            // First prepended char replaces the first old char (change 0): it takes its alignment.
            t.Emit(r.Value, first ? 0 : 1);
            first = false;
        }
        int cp0 = CodePointAt(0, out int w0);
        t.Emit(cp0, 1);
        for (int i = w0; i < _length;)
        {
            int cp = CodePointAt(i, out int w);
            // These still consume old chars in order; the first old char was consumed above.
            t.Emit(cp, 0);
            i += w;
        }
        t.Commit();
    }

    /// <summary>
    /// Replaces each match range (normalized UTF-16, sorted, non-overlapping) by <paramref name="content"/>
    /// as HF's <c>replace</c>: new chars are insertions aligned with the last replaced char.
    /// </summary>
    public void Replace(IReadOnlyList<(int Start, int End)> matches, string content)
    {
        if (matches.Count == 0) return;
        var t = BeginTransform();
        int pos = 0;
        foreach (var (ms, me) in matches)
        {
            while (pos < ms)
            {
                int cp = CodePointAt(pos, out int w);
                t.Emit(cp, 0);
                pos += w;
            }
            int removedChars = 0;
            for (int i = ms; i < me; i += CodePointWidth(i)) removedChars++;
            // HF: transform_range(range, content chars with change 1, initial_offset = removed chars)
            bool firstOfContent = true;
            foreach (Rune r in content.EnumerateRunes())
            {
                if (firstOfContent) { SkipTo(t, removedChars); firstOfContent = false; }
                t.Emit(r.Value, 1);
            }
            if (firstOfContent) SkipTo(t, removedChars);
            pos = me;
        }
        while (pos < _length)
        {
            int cp = CodePointAt(pos, out int w);
            t.Emit(cp, 0);
            pos += w;
        }
        t.Commit();

        static void SkipTo(Transformer tr, int n) => tr.SkipRemoved(n);
    }

    /// <summary>Creates an independent piece for the normalized range [start, end) (HF's <c>slice</c>).</summary>
    public NormalizedString Slice(int start, int end)
    {
        int len = end - start;
        var (os, oe) = ToOriginal(start, end);
        var chars = new char[len];
        var s = new int[len];
        var e = new int[len];
        Array.Copy(_chars, start, chars, 0, len);
        Array.Copy(_alignStart, start, s, 0, len);
        Array.Copy(_alignEnd, start, e, 0, len);
        return new NormalizedString(chars, s, e, len, os, oe);
    }
}
