using System.Runtime.CompilerServices;

namespace Skald.Models.Generation;

/// <summary>
/// Well-formed UTF-8 inside a JSON string, a byte at a time, one definition for <see cref="JsonAutomaton"/> and
/// <see cref="JsonSchemaAutomaton"/> (strings and free keys): no overlong forms, encoded surrogates or code points past
/// U+10FFFF, so a string never ends inside a character.
/// </summary>
internal static class JsonUtf8
{
    /// <summary>
    /// Takes byte <paramref name="b"/> (≥ 0x80): a continuation byte while <paramref name="count"/> are due, or a lead
    /// byte when none is; <paramref name="lead"/> is the lead whose first continuation byte is due (its range is
    /// narrower), else 0. False when the byte cannot come here.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Take(byte b, ref byte count, ref byte lead)
    {
        if (b < 0xC0)
        {
            if (count == 0) return false;
            if (lead == 0xE0 && b < 0xA0 || lead == 0xED && b > 0x9F || lead == 0xF0 && b < 0x90 || lead == 0xF4 && b > 0x8F) return false;
            lead = 0;
            count--;
            return true;
        }
        if (count != 0 || b < 0xC2 || b > 0xF4) return false;
        count = (byte)(b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3);
        lead = b;
        return true;
    }
}
