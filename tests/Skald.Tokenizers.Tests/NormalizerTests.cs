using Skald.Tokenizers.Core;
using Skald.Tokenizers.Normalizers;
using Skald.Tokenizers.Unicode;

namespace Skald.Tokenizers.Tests;

/// <summary>Unicode normalizers against strings produced by the oracle's normalizeString.</summary>
public sealed class NormalizerTests
{
    [Theory]
    [InlineData("NFC", "e\u0301 A\u030a \ufb01 \u2460 \uff26\uff55\uff4c\uff4c \ud55c\uad6d\uc5b4 a\u0323\u0307 \u00c5", "\u00e9 \u00c5 \ufb01 \u2460 \uff26\uff55\uff4c\uff4c \ud55c\uad6d\uc5b4 \u1ea1\u0307 \u00c5")]
    [InlineData("NFC", "\u1e69 q\u0307\u0323 \u338f \u0130", "\u1e69 q\u0323\u0307 \u338f \u0130")]
    [InlineData("NFKC", "e\u0301 A\u030a \ufb01 \u2460 \uff26\uff55\uff4c\uff4c \ud55c\uad6d\uc5b4 a\u0323\u0307 \u00c5", "\u00e9 \u00c5 fi 1 Full \ud55c\uad6d\uc5b4 \u1ea1\u0307 \u00c5")]
    [InlineData("NFKC", "\u1e69 q\u0307\u0323 \u338f \u0130", "\u1e69 q\u0323\u0307 kg \u0130")]
    [InlineData("NFD", "e\u0301 A\u030a \ufb01 \u2460 \uff26\uff55\uff4c\uff4c \ud55c\uad6d\uc5b4 a\u0323\u0307 \u00c5", "e\u0301 A\u030a \ufb01 \u2460 \uff26\uff55\uff4c\uff4c \u1112\u1161\u11ab\u1100\u116e\u11a8\u110b\u1165 a\u0323\u0307 A\u030a")]
    [InlineData("NFD", "\u1e69 q\u0307\u0323 \u338f \u0130", "s\u0323\u0307 q\u0323\u0307 \u338f I\u0307")]
    [InlineData("NFKD", "e\u0301 A\u030a \ufb01 \u2460 \uff26\uff55\uff4c\uff4c \ud55c\uad6d\uc5b4 a\u0323\u0307 \u00c5", "e\u0301 A\u030a fi 1 Full \u1112\u1161\u11ab\u1100\u116e\u11a8\u110b\u1165 a\u0323\u0307 A\u030a")]
    [InlineData("NFKD", "\u1e69 q\u0307\u0323 \u338f \u0130", "s\u0323\u0307 q\u0323\u0307 kg I\u0307")]
    [InlineData("Lowercase", "e\u0301 A\u030a \ufb01 \u2460 \uff26\uff55\uff4c\uff4c \ud55c\uad6d\uc5b4 a\u0323\u0307 \u00c5", "e\u0301 a\u030a \ufb01 \u2460 \uff46\uff55\uff4c\uff4c \ud55c\uad6d\uc5b4 a\u0323\u0307 \u00e5")]
    [InlineData("Lowercase", "\u1e69 q\u0307\u0323 \u338f \u0130", "\u1e69 q\u0307\u0323 \u338f i\u0307")]
    public void MatchesOracleNormalizeString(string kind, string input, string expected)
    {
        INormalizer n = kind switch
        {
            "NFC" => new UnicodeNormalizer(NormalizationKind.Nfc),
            "NFKC" => new UnicodeNormalizer(NormalizationKind.Nfkc),
            "NFD" => new UnicodeNormalizer(NormalizationKind.Nfd),
            "NFKD" => new UnicodeNormalizer(NormalizationKind.Nfkd),
            _ => new LowercaseNormalizer(),
        };
        var ns = new NormalizedString(input);
        n.Normalize(ns);
        Assert.Equal(expected, ns.ToString());
    }

    [Fact]
    public void AlignmentsFollowHf()
    {
        // NFD of "å" inserts the ring as a new char aligned with "å"; BERT's strip_accents then drops it.
        var ns = new NormalizedString("xå");
        new BertNormalizer(true, true, null, true).Normalize(ns);
        Assert.Equal("xa", ns.ToString());
        Assert.Equal((1, 2), ns.ToOriginal(1, 2));
        // Chinese chars are padded with spaces aligned with the char itself.
        var cjk = new NormalizedString("a中b");
        new BertNormalizer(true, true, false, false).Normalize(cjk);
        Assert.Equal("a 中 b", cjk.ToString());
        Assert.Equal((1, 2), cjk.ToOriginal(1, 4));
    }
}
