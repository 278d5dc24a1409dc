using System.Globalization;
using System.Text;
using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Decoders;

/// <summary>A decoder (HF's Decoder): turns tokens back into text pieces (decode_chain).</summary>
internal interface IDecoder
{
    /// <summary>HF's decode_chain.</summary>
    List<string> DecodeChain(List<string> tokens);
}

/// <summary>HF's ByteLevel decoder: byte-level characters back to bytes, then lossy UTF-8.</summary>
internal sealed record ByteLevelDecoder : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        var bytes = new List<byte>();
        foreach (var t in tokens)
        {
            bool all = true;
            foreach (char c in t) if (ByteLevelAlphabet.ByteOf(c) < 0) { all = false; break; }
            if (all) foreach (char c in t) bytes.Add((byte)ByteLevelAlphabet.ByteOf(c));
            else bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(t));
        }
        return [System.Text.Encoding.UTF8.GetString(bytes.ToArray())];
    }
}

/// <summary>HF's WordPiece decoder.</summary>
internal sealed record WordPieceDecoder(string Prefix, bool Cleanup) : IDecoder
{
    /// <summary>HF's cleanup of tokenization spaces.</summary>
    public static string CleanupText(string s) => s.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",")
        .Replace(" ' ", "'").Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" do not", " don't").Replace(" 's", "'s")
        .Replace(" 've", "'ve").Replace(" 're", "'re");

    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        var r = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i];
            if (i != 0)
            {
                if (t.StartsWith(Prefix, StringComparison.Ordinal)) t = t[Prefix.Length..];
                else t = " " + t;
            }
            if (Cleanup) t = CleanupText(t);
            r.Add(t);
        }
        return r;
    }
}

/// <summary>HF's Metaspace decoder: the replacement becomes a space; the first token loses a leading space unless prepend_scheme is never.</summary>
internal sealed record MetaspaceDecoder(string Replacement, bool StripFirst) : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        var r = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i].Replace(Replacement, " ");
            if (i == 0 && StripFirst && t.StartsWith(' ')) t = t[1..];
            r.Add(t);
        }
        return r;
    }
}

/// <summary>HF's BPEDecoder: the end-of-word suffix becomes a space (nothing on the last token).</summary>
internal sealed record BpeDecoder(string Suffix) : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens) =>
        tokens.Select((t, i) => t.Replace(Suffix, i == tokens.Count - 1 ? "" : " ")).ToList();
}

/// <summary>HF's ByteFallback decoder: runs of &lt;0xXX&gt; tokens become their UTF-8 text (or one U+FFFD per byte if invalid).</summary>
internal sealed record ByteFallbackDecoder : IDecoder
{
    private static readonly UTF8Encoding Strict = new(false, true);

    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        var r = new List<string>(tokens.Count);
        var bytes = new List<byte>();
        foreach (var t in tokens)
        {
            if (t.Length == 6 && t.StartsWith("<0x", StringComparison.Ordinal) && t[5] == '>' &&
                byte.TryParse(t.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
            {
                bytes.Add(b);
                continue;
            }
            Flush();
            r.Add(t);
        }
        Flush();
        return r;

        void Flush()
        {
            if (bytes.Count == 0) return;
            try
            {
                r.Add(Strict.GetString(bytes.ToArray()));
            }
            catch (DecoderFallbackException)
            {
                r.Add(new string('\uFFFD', bytes.Count));
            }
            bytes.Clear();
        }
    }
}

/// <summary>HF's Fuse decoder: all tokens into one string.</summary>
internal sealed record FuseDecoder : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens) => [string.Concat(tokens)];
}

/// <summary>HF's Strip decoder: removes up to Start leading and Stop trailing occurrences of Content from each token.</summary>
internal sealed record StripDecoder(string Content, int Start, int Stop) : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        var r = new List<string>(tokens.Count);
        foreach (var tok in tokens)
        {
            var runes = tok.EnumerateRunes().ToList();
            int c = Content.Length == 0 ? -1 : char.ConvertToUtf32(Content, 0);
            int s = 0;
            while (s < Start && s < runes.Count && runes[s].Value == c) s++;
            int e = runes.Count, k = 0;
            while (k < Stop && e > s && runes[e - 1].Value == c) { e--; k++; }
            var sb = new StringBuilder();
            for (int i = s; i < e; i++) sb.Append(runes[i].ToString());
            r.Add(sb.ToString());
        }
        return r;
    }
}

/// <summary>HF's Replace decoder (string or regex pattern).</summary>
internal sealed record ReplaceDecoder(string? Literal, OnigRegex? Regex, string Content) : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        var r = new List<string>(tokens.Count);
        var matches = new List<(int Start, int End)>();
        foreach (var t in tokens)
        {
            if (Literal is not null)
            {
                r.Add(Literal.Length == 0 ? t : t.Replace(Literal, Content, StringComparison.Ordinal));
                continue;
            }
            matches.Clear();
            Regex!.Matches(t, matches);
            var sb = new StringBuilder();
            int prev = 0;
            foreach (var (s, e) in matches)
            {
                sb.Append(t, prev, s - prev).Append(Content);
                prev = e;
            }
            sb.Append(t, prev, t.Length - prev);
            r.Add(sb.ToString());
        }
        return r;
    }
}

/// <summary>HF's CTC decoder: collapse repeats, drop the pad token, word delimiter to space, optional cleanup.</summary>
internal sealed record CtcDecoder(string PadToken, string WordDelimiterToken, bool Cleanup) : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        var r = new List<string>();
        for (int i = 0; i < tokens.Count; i++)
        {
            if (i > 0 && tokens[i] == tokens[i - 1]) continue;
            string t = tokens[i].Replace(PadToken, "");
            if (Cleanup) t = WordPieceDecoder.CleanupText(t).Replace(WordDelimiterToken, " ");
            if (t.Length > 0) r.Add(t);
        }
        return r;
    }
}

/// <summary>HF's Sequence decoder.</summary>
internal sealed record SequenceDecoder(IReadOnlyList<IDecoder> Decoders) : IDecoder
{
    /// <inheritdoc/>
    public List<string> DecodeChain(List<string> tokens)
    {
        foreach (var d in Decoders) tokens = d.DecodeChain(tokens);
        return tokens;
    }
}
