namespace Skald.Models.Generation;

/// <summary>
/// The vocabulary's token bytes as a trie laid out in preorder, for constrained decoding: a node is one byte below its
/// parent, <see cref="Next"/> skips its subtree, and the ids whose bytes end there are a run of <see cref="Ids"/>. A
/// walk in index order that skips the subtree of every byte an automaton refuses tests each shared prefix once, and
/// the tokens under a refused byte not at all (most of a vocabulary outside a JSON string). Ids without bytes (special
/// tokens, ids past the tokenizer's) are in no node. Built once per tokenizer; read-only, so rows share it.
/// </summary>
internal sealed class TokenTrie
{
    /// <summary>The trie of <paramref name="tokenBytes"/>[id], over a vocabulary of <paramref name="vocab"/> ids.</summary>
    public TokenTrie(IReadOnlyList<byte[]> tokenBytes, int vocab)
    {
        Vocab = vocab;
        Bytes = tokenBytes;
        int n = Math.Min(tokenBytes.Count, vocab);
        var order = Enumerable.Range(0, n).Where(id => tokenBytes[id].Length > 0).ToArray();
        Array.Sort(order, (a, b) =>
        {
            int c = tokenBytes[a].AsSpan().SequenceCompareTo(tokenBytes[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
        var label = new List<byte>();
        var depth = new List<int>();
        var next = new List<int>();
        var first = new List<int>();
        var end = new List<int>();
        var path = new List<int>(); // the nodes of the previous token's bytes
        byte[] previous = [];
        for (int k = 0; k < order.Length; k++)
        {
            var bytes = tokenBytes[order[k]];
            int common = bytes.AsSpan().CommonPrefixLength(previous);
            while (path.Count > common)
            {
                next[path[^1]] = label.Count;
                path.RemoveAt(path.Count - 1);
            }
            for (int d = common; d < bytes.Length; d++)
            {
                path.Add(label.Count);
                label.Add(bytes[d]);
                depth.Add(d + 1);
                next.Add(0);
                first.Add(k);
                end.Add(k);
            }
            end[path[^1]] = k + 1; // equal byte strings are neighbours in the order, so a node's ids are one run
            previous = bytes;
        }
        foreach (int node in path) next[node] = label.Count;
        Labels = [.. label];
        Depths = [.. depth];
        Next = [.. next];
        First = [.. first];
        End = [.. end];
        Ids = order;
        MaxDepth = depth.Count == 0 ? 0 : depth.Max();
    }

    /// <summary>The ids the logits cover (the LM head's size).</summary>
    public int Vocab { get; }

    /// <summary>Each id's bytes (ids past the list have none).</summary>
    public IReadOnlyList<byte[]> Bytes { get; }

    /// <summary>Each node's byte.</summary>
    public byte[] Labels { get; }

    /// <summary>Each node's depth (1: a first byte).</summary>
    public int[] Depths { get; }

    /// <summary>The node after each node's subtree.</summary>
    public int[] Next { get; }

    /// <summary>Where each node's ids start in <see cref="Ids"/>.</summary>
    public int[] First { get; }

    /// <summary>Where each node's ids end in <see cref="Ids"/> (equal to <see cref="First"/>: none end there).</summary>
    public int[] End { get; }

    /// <summary>The ids with bytes, in the order of their bytes.</summary>
    public int[] Ids { get; }

    /// <summary>The longest token, in bytes.</summary>
    public int MaxDepth { get; }
}
