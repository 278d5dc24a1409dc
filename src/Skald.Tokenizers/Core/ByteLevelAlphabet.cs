namespace Skald.Tokenizers.Core;

/// <summary>GPT-2's byte-to-unicode table: every byte maps to a printable character.</summary>
internal static class ByteLevelAlphabet
{
    /// <summary>The GPT-2 split regex used by the ByteLevel pre-tokenizer when use_regex is true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>Character of each byte.</summary>
    public static readonly char[] ByteToChar = Build();

    /// <summary>Byte of each character (-1 when the character is not in the alphabet), indexed by char code &lt; 0x144.</summary>
    public static readonly short[] CharToByte = Invert();

    /// <summary>The 256 characters, as strings, in byte order.</summary>
    public static readonly string[] ByteStrings = ByteToChar.Select(c => c.ToString()).ToArray();

    private static char[] Build()
    {
        var map = new char[256];
        var direct = new bool[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int n = 0;
        for (int b = 0; b < 256; b++) map[b] = direct[b] ? (char)b : (char)(256 + n++);
        return map;
    }

    private static short[] Invert()
    {
        var inv = new short[0x144];
        Array.Fill(inv, (short)-1);
        for (int b = 0; b < 256; b++) inv[ByteToChar[b]] = (short)b;
        return inv;
    }

    /// <summary>Byte of <paramref name="c"/>, or -1.</summary>
    public static int ByteOf(char c) => c < CharToByte.Length ? CharToByte[c] : -1;
}
