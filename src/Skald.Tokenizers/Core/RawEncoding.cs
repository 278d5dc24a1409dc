namespace Skald.Tokenizers.Core;

/// <summary>Mutable encoding used inside the pipeline; offsets are UTF-16 units of its own sequence.</summary>
internal sealed class RawEncoding
{
    /// <summary>Token ids.</summary>
    public List<int> Ids { get; } = [];
    /// <summary>Token strings.</summary>
    public List<string> Tokens { get; } = [];
    /// <summary>Offsets into the original text of the sequence (UTF-16 units).</summary>
    public List<(int Start, int End)> Offsets { get; } = [];
    /// <summary>Type (segment) ids.</summary>
    public List<int> TypeIds { get; } = [];
    /// <summary>1 for special tokens added by the post-processor.</summary>
    public List<int> SpecialMask { get; } = [];
    /// <summary>Which input sequence (0 = A, 1 = B) each token's offsets refer to; -1 for added specials.</summary>
    public List<int> SequenceIds { get; } = [];

    /// <summary>Number of tokens.</summary>
    public int Count => Ids.Count;

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
