namespace Skald.Models.Tests;

/// <summary>
/// <see cref="SentenceEncoder.Prepare"/> (and so Encode and Tokenize) refuses what the model cannot take before it
/// tokenizes any text (<see cref="SentenceEncoder.Tokenizations"/> stays where it was): a Router route the folder does
/// not have, a prompt name it does not define, a null text anywhere in the list.
/// </summary>
public sealed class EarlyEncodeCheckTests
{
    private static readonly string[] Texts = ["Hvor ligger biblioteket?", "Biblioteket ligger i sentrum."];

    [Fact]
    public void ARouteTheRouterLacksIsRefusedBeforeAnyTextIsTokenized()
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("splade-router-tiny"));
        int before = model.Tokenizations;
        var thrown = Assert.Throws<ModelFormatException>(() => model.Encode(Texts, new EncodeOptions { Route = "passage" }));
        Assert.Contains("no route \"passage\"", thrown.Message);
        Assert.Equal(before, model.Tokenizations);
        Assert.Equal(2, model.Encode(Texts, new EncodeOptions { Route = "query" }).Length);
        Assert.Equal(before + 1, model.Tokenizations); // a good call tokenizes once
    }

    [Fact]
    public void APromptNameOrANullTextIsRefusedBeforeAnyTextIsTokenized()
    {
        using var model = SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"));
        int before = model.Tokenizations;
        Assert.Throws<ModelFormatException>(() => model.Encode(Texts, new EncodeOptions { PromptName = "nope" }));
        Assert.Equal("texts", Assert.Throws<ArgumentException>(() => model.Encode([.. Texts, null!])).ParamName);
        Assert.Equal(before, model.Tokenizations);
    }
}
