using Skald.Data.Translate;

namespace Skald.Data.Tests;

/// <summary>Translation keeps code blocks, inline code, URLs and placeholders byte for byte (issue 14's instruction data).</summary>
public sealed class ShieldedTextTests
{
    private const string Instruction =
        "Skriv en funksjon som hilser på {name}.\n\nBruk `print` og se https://docs.python.org/3/.\n\n```python\ndef hils(navn):\n    print(f\"Hei {navn}\")\n```\nSvar med %s eller ${HOME}.";

    /// <summary>A stand-in engine: upper-cases every letter (markers have none), like a translator that changes all prose.</summary>
    private static List<string> Upper(IReadOnlyList<string> texts) => [.. texts.Select(t => t.ToUpperInvariant())];

    [Fact]
    public void ProtectedSpansComeBackUnchangedAndProseIsTranslated()
    {
        var calls = new List<IReadOnlyList<string>>();
        var result = ShieldedText.TranslateAll([Instruction], t => { calls.Add(t); return Upper(t); });
        string expected =
            "SKRIV EN FUNKSJON SOM HILSER PÅ {name}.\n\nBRUK `print` OG SE https://docs.python.org/3/.\n\n```python\ndef hils(navn):\n    print(f\"Hei {navn}\")\n```\nSVAR MED %s ELLER ${HOME}.";
        Assert.Equal(expected, Assert.Single(result));
        Assert.Single(calls); // markers survived: no second pass
        Assert.Equal(["Skriv en funksjon som hilser på ⟦0⟧.", "Bruk ⟦0⟧ og se ⟦1⟧.", "Svar med ⟦0⟧ eller ⟦1⟧."], calls[0]);
    }

    [Fact]
    public void ALineThatLosesAMarkerIsTranslatedAgainAsFragments()
    {
        int call = 0;
        var result = ShieldedText.TranslateAll(["Hei {name}, velkommen til <b>Oslo</b>!"], t =>
        {
            call++;
            return call == 1 ? [.. t.Select(x => "HEI, VELKOMMEN")] : Upper(t); // the first answer drops every marker
        });
        Assert.Equal(2, call);
        Assert.Equal("HEI {name}, VELKOMMEN TIL <b>OSLO</b>!", Assert.Single(result));
    }

    [Fact]
    public void RepeatedOrInventedMarkersAreRejected()
    {
        var s = ShieldedText.Protect("Les {a} og {b}.");
        Assert.Equal("Les ⟦0⟧ og ⟦1⟧.", Assert.Single(s.Prose));
        Assert.Equal("LES {a} OG {b}.", s.TryRestore(0, "LES ⟦0⟧ OG ⟦1⟧."));
        Assert.Null(s.TryRestore(0, "LES ⟦0⟧ OG ⟦0⟧."));
        Assert.Null(s.TryRestore(0, "LES ⟦0⟧ OG ⟦1⟧ ⟦2⟧."));
        Assert.Null(s.TryRestore(0, "LES ⟦1⟧."));
    }

    [Fact]
    public void TextWithoutProseIsNotSentAndLineBreaksStay()
    {
        var calls = 0;
        var result = ShieldedText.TranslateAll(["```\nx = 1\n```", "  Én linje\r\n\n  og en til  ", "{0} 42 %d"], t => { calls++; return Upper(t); });
        Assert.Equal(["```\nx = 1\n```", "  ÉN LINJE\r\n\n  OG EN TIL  ", "{0} 42 %d"], result);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void PercentagesAndCurrencyAreProse()
    {
        var s = ShieldedText.Protect("Renta er 5 % i år og koster $5 for 50 %av dem.");
        Assert.Equal("Renta er 5 % i år og koster $5 for 50 %av dem.", Assert.Single(s.Prose));
    }

    [ApertiumFact]
    public void ApertiumLeavesCodeAndPlaceholdersAlone()
    {
        var apertium = ApertiumTranslator.Create("nb", "nn");
        var result = ShieldedText.TranslateAll(["Hva heter {name}?\n```\nhva = \"jeg vet ikke\"\n```"], t => apertium.Translate(t));
        Assert.Equal("Kva heiter {name}?\n```\nhva = \"jeg vet ikke\"\n```", Assert.Single(result));
    }
}
