namespace Skald.Tokenizers.Core;

/// <summary>Mutable encoding used inside the tokenizer's component chain; offsets are UTF-16 units of its own sequence.</summary>
internal sealed class RawEncoding
{
    /// <summary>An empty encoding.</summary>
    public RawEncoding() : this(0)
    {
    }

    /// <summary>An empty encoding with room for <paramref name="capacity"/> tokens.</summary>
    public RawEncoding(int capacity)
    {
        Ids = new(capacity);
        Tokens = new(capacity);
        Offsets = new(capacity);
        TypeIds = new(capacity);
        SpecialMask = new(capacity);
        SequenceIds = new(capacity);
    }

    /// <summary>Token ids.</summary>
    public List<int> Ids { get; }
    /// <summary>Token strings.</summary>
    public List<string> Tokens { get; }
    /// <summary>Offsets into the original text of the sequence (UTF-16 units).</summary>
    public List<(int Start, int End)> Offsets { get; }
    /// <summary>Type (segment) ids.</summary>
    public List<int> TypeIds { get; }
    /// <summary>1 for special tokens added by the post-processor.</summary>
    public List<int> SpecialMask { get; }
    /// <summary>Which input sequence (0 = A, 1 = B) each token's offsets refer to; -1 for added specials.</summary>
    public List<int> SequenceIds { get; }

    /// <summary>Parts cut off by truncation (HF's overflowing).</summary>
    public List<RawEncoding> Overflowing { get; private set; } = [];

    /// <summary>Number of tokens.</summary>
    public int Count => Ids.Count;

    /// <summary>
    /// True when the sequence's text gives tokens that are not held: cut off by <see cref="TruncateWithOverflow"/>, or
    /// never read because an early cut stopped exactly at max_length before them (HF leaves no overflowing part then).
    /// </summary>
    public bool Truncated { get; set; }

    /// <summary>Appends one token.</summary>
    public void Add(int id, string token, (int, int) offsets, int typeId, int special, int sequenceId)
    {
        Ids.Add(id);
        Tokens.Add(token);
        Offsets.Add(offsets);
        TypeIds.Add(typeId);
        SpecialMask.Add(special);
        SequenceIds.Add(sequenceId);
    }

    /// <summary>Appends all tokens of <paramref name="other"/>, optionally forcing their type id.</summary>
    public void Append(RawEncoding other, int? typeId = null)
    {
        for (int i = 0; i < other.Count; i++)
            Add(other.Ids[i], other.Tokens[i], other.Offsets[i], typeId ?? other.TypeIds[i], other.SpecialMask[i], other.SequenceIds[i]);
    }

    /// <summary>Sets every type id to <paramref name="typeId"/>.</summary>
    public void SetTypeIds(int typeId)
    {
        for (int i = 0; i < TypeIds.Count; i++) TypeIds[i] = typeId;
    }

    /// <summary>A deep copy (overflowing included).</summary>
    public RawEncoding Clone()
    {
        var r = Slice(0, Count);
        foreach (var o in Overflowing) r.Overflowing.Add(o.Clone());
        return r;
    }

    /// <summary>Tokens [start, stop) as a new encoding without overflowing.</summary>
    public RawEncoding Slice(int start, int stop)
    {
        var r = new RawEncoding(stop - start);
        for (int i = start; i < stop; i++) r.Add(Ids[i], Tokens[i], Offsets[i], TypeIds[i], SpecialMask[i], SequenceIds[i]);
        return r;
    }

    /// <summary>HF's Encoding::merge_with: appends <paramref name="pair"/>, combining the overflowing parts of both.</summary>
    public void MergeWith(RawEncoding pair)
    {
        var overflowing = new List<RawEncoding>();
        foreach (var selfO in Overflowing)
        {
            var n = selfO.Clone();
            n.MergeWith(pair.Clone());
            overflowing.Add(n);
            foreach (var otherO in pair.Overflowing)
            {
                var m = selfO.Clone();
                m.MergeWith(otherO.Clone());
                overflowing.Add(m);
            }
        }
        foreach (var otherO in pair.Overflowing)
        {
            var n = Clone();
            n.MergeWith(otherO.Clone());
            overflowing.Add(n);
        }
        for (int i = 0; i < pair.Count; i++)
            Add(pair.Ids[i], pair.Tokens[i], pair.Offsets[i], pair.TypeIds[i], pair.SpecialMask[i], pair.SequenceIds[i]);
        Overflowing = overflowing;
    }

    /// <summary>HF's Encoding::truncate: keeps <paramref name="maxLength"/> tokens, the rest become overflowing windows overlapping by <paramref name="stride"/>.</summary>
    public void TruncateWithOverflow(int maxLength, int stride, TruncationDirection direction)
    {
        int n = Count;
        if (maxLength >= n) return;
        Truncated = true;
        if (maxLength == 0)
        {
            var all = Clone();
            Clear();
            Overflowing = [all];
            return;
        }
        if (stride >= maxLength) throw new TokenizerException($"truncation stride ({stride}) must be less than the length kept ({maxLength}, special tokens excluded)");
        int step = maxLength - stride;
        var parts = new List<(int Start, int Stop)>();
        if (direction == TruncationDirection.Right)
        {
            for (int start = 0; start < n; start += step)
            {
                int stop = Math.Min(start + maxLength, n);
                parts.Add((start, stop));
                if (stop == n) break;
            }
        }
        else
        {
            for (int last = n - 1; last >= 0; last -= step)
            {
                int stop = last + 1;
                int start = stop < maxLength ? 0 : stop - maxLength;
                parts.Add((start, stop));
                if (start == 0) break;
            }
        }
        var overflow = new List<RawEncoding>();
        for (int k = 1; k < parts.Count; k++) overflow.Add(Slice(parts[k].Start, parts[k].Stop));
        var main = Slice(parts[0].Start, parts[0].Stop);
        Clear();
        Append(main);
        Overflowing = overflow;
    }

    /// <summary>Replaces the content by <paramref name="other"/>'s tokens (overflowing dropped).</summary>
    public void ReplaceWith(RawEncoding other)
    {
        Clear();
        Append(other);
        Overflowing = [];
    }

    private void Clear()
    {
        Ids.Clear();
        Tokens.Clear();
        Offsets.Clear();
        TypeIds.Clear();
        SpecialMask.Clear();
        SequenceIds.Clear();
    }

    /// <summary>Keeps the first <paramref name="length"/> tokens (right truncation).</summary>
    public void Truncate(int length)
    {
        if (length >= Count) return;
        int n = Count - length;
        Ids.RemoveRange(length, n);
        Tokens.RemoveRange(length, n);
        Offsets.RemoveRange(length, n);
        TypeIds.RemoveRange(length, n);
        SpecialMask.RemoveRange(length, n);
        SequenceIds.RemoveRange(length, n);
    }
}
