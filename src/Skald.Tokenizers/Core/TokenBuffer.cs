namespace Skald.Tokenizers.Core;

/// <summary>
/// A reusable, growable buffer of tokens (id, string, [start, end) offsets) plus the scratch text the fast paths
/// normalize into. One per thread (<see cref="ForThread"/>), so steady-state encoding allocates no scratch memory.
/// </summary>
internal sealed class TokenBuffer
{
    [ThreadStatic]
    private static TokenBuffer? t_instance;

    /// <summary>Token ids, valid up to <see cref="Count"/>.</summary>
    public int[] Ids = new int[256];

    /// <summary>Token strings (vocabulary keys, never copied), valid up to <see cref="Count"/>.</summary>
    public string[] Values = new string[256];

    /// <summary>Token starts, valid up to <see cref="Count"/>.</summary>
    public int[] Starts = new int[256];

    /// <summary>Token ends (exclusive), valid up to <see cref="Count"/>.</summary>
    public int[] Ends = new int[256];

    /// <summary>Number of tokens held.</summary>
    public int Count;

    /// <summary>Normalized text scratch, valid up to <see cref="TextLength"/>.</summary>
    public char[] Text = new char[1024];

    /// <summary>For each unit of <see cref="Text"/>, the UTF-16 index of the original char it came from.</summary>
    public int[] Origin = new int[1024];

    /// <summary>Length of the normalized text scratch.</summary>
    public int TextLength;

    /// <summary>Scratch for composing "prefix + piece" lookup keys.</summary>
    public char[] Key = new char[256];

    /// <summary>The calling thread's buffer (created on first use).</summary>
    public static TokenBuffer ForThread() => t_instance ??= new TokenBuffer();

    /// <summary>
    /// After a fast path's early cut: true when the text holds tokens past the <see cref="Count"/> kept (learnt by
    /// tokenizing the next pieces when the cut fell exactly at the limit; a cut past the limit is truncated anyway).
    /// </summary>
    public bool More;

    /// <summary>While probing past an early cut: the count kept at the cut; -1 otherwise.</summary>
    private int _probeFrom = -1;

    /// <summary>Empties the token part (the arrays are kept).</summary>
    public void Clear()
    {
        Count = 0;
        More = false;
        _probeFrom = -1;
    }

    /// <summary>
    /// Called by a fast path when <see cref="Count"/> has reached <paramref name="limit"/> before the next piece: true
    /// to stop there. At exactly the limit it answers false once and raises the limit by one, so the following pieces
    /// are tokenized until one gives a token (or the text ends); <see cref="Finish"/> then drops them and sets
    /// <see cref="More"/>. Costs one piece per text cut exactly at the limit, nothing otherwise.
    /// </summary>
    public bool StopAt(ref int limit)
    {
        if (_probeFrom >= 0 || Count != limit) return true;
        _probeFrom = Count;
        limit++;
        return false;
    }

    /// <summary>Ends a fast path's encode: drops the tokens probed past an early cut (<see cref="StopAt"/>) and returns true.</summary>
    public bool Finish()
    {
        if (_probeFrom >= 0)
        {
            More = Count > _probeFrom;
            Count = _probeFrom;
            _probeFrom = -1;
        }
        return true;
    }

    /// <summary>Appends one token.</summary>
    public void Add(int id, string value, int start, int end)
    {
        if (Count == Ids.Length) GrowTokens();
        Ids[Count] = id;
        Values[Count] = value;
        Starts[Count] = start;
        Ends[Count] = end;
        Count++;
    }

    /// <summary>
    /// Turns the offsets of tokens [<paramref name="first"/>, <see cref="Count"/>), which a model wrote relative to the
    /// normalized piece starting at <see cref="Text"/>[<paramref name="pieceStart"/>], into offsets in the original text
    /// through <see cref="Origin"/> (every normalized unit comes from one BMP char: its range is [origin, origin + 1)).
    /// </summary>
    public void MapPieceToOriginal(int first, int pieceStart)
    {
        for (int k = first; k < Count; k++)
        {
            Starts[k] = Origin[pieceStart + Starts[k]];
            Ends[k] = Origin[pieceStart + Ends[k] - 1] + 1;
        }
    }

    /// <summary>Makes sure the text scratch holds at least <paramref name="need"/> units.</summary>
    public void EnsureText(int need)
    {
        if (need <= Text.Length) return;
        int cap = Math.Max(need, Text.Length * 2);
        Array.Resize(ref Text, cap);
        Array.Resize(ref Origin, cap);
    }

    /// <summary>A key scratch of at least <paramref name="need"/> units.</summary>
    public char[] KeyScratch(int need)
    {
        if (need > Key.Length) Key = new char[Math.Max(need, Key.Length * 2)];
        return Key;
    }

    private void GrowTokens()
    {
        int cap = Ids.Length * 2;
        Array.Resize(ref Ids, cap);
        Array.Resize(ref Values, cap);
        Array.Resize(ref Starts, cap);
        Array.Resize(ref Ends, cap);
    }
}
