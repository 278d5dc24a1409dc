using System.Buffers;
using System.Text;

namespace Skald.Serving;

/// <summary>
/// A legacy completion choice's <c>text_offset</c> count, carried across its stream's events: the choice's tokens' raw
/// bytes so far, read as its text is read (UTF-8, each invalid piece one U+FFFD, as <see cref="Encoding.UTF8"/> decodes),
/// and where in them the characters before the next token end.
/// </summary>
internal sealed class TextOffsets
{
    private readonly List<byte> bytes = [];
    private int start; // where the first character not counted yet starts
    private int counted; // characters that end at or before `start`

    /// <summary>
    /// The offset of a token with <paramref name="token"/> as its raw bytes, in characters (code points) of the text, from
    /// 0: the character holding its first byte (one it continues, or its own); the token's bytes are taken in after.
    /// </summary>
    public int Next(byte[] token)
    {
        int at = bytes.Count;
        if (token.Length > 0) bytes.Add(token[0]); // with it, the character holding it is settled
        var all = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        while (start < at)
        {
            var status = Rune.DecodeFromUtf8(all[start..], out _, out int used);
            if (status == OperationStatus.NeedMoreData || start + used > at) break; // it holds the token's first byte
            start += used;
            counted++;
        }
        if (token.Length > 0) bytes.RemoveAt(at);
        bytes.AddRange(token);
        return counted;
    }
}
