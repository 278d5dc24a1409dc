using Skald.Retrieval.Data;

namespace Skald.Retrieval.Tests;

/// <summary>
/// The JSON-lines loaders of triplet, bitext and labelled tasks: a text field holding a number or a list is one line
/// naming the file, line and field (it used to be read as its digits); a numeric label is still a label.
/// </summary>
public sealed class DatasetsTests
{
    private readonly string dir = TestPaths.NewTempDir();

    private string Write(string text)
    {
        string path = Path.Combine(dir, "task.jsonl");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("triplets", "{\"anchor\":\"a\",\"positive\":\"p\",\"negative\":\"n\"}\n{\"anchor\":\"a\",\"positive\":\"p\",\"negative\":3}\n", ":2: field \"negative\" must be a string (a text), found number 3")]
    [InlineData("bitext", "{\"source\":\"hei\",\"target\":2.5}\n", ":1: field \"target\" must be a string (a text), found number 2.5")]
    [InlineData("labelled", "{\"text\":\"god\",\"label\":1}\n{\"text\":true,\"label\":0}\n", ":2: field \"text\" must be a string (a text), found boolean true")]
    [InlineData("labelled", "{\"text\":{\"a\":1},\"label\":0}\n", ":1: field \"text\" must be a string (a text), found object {\"a\":1}")]
    public void ANonTextInATextFieldIsNamed(string kind, string content, string expected)
    {
        string path = Write(content);
        var e = Assert.Throws<EvaluationException>(() => Load(kind, path));
        Assert.Equal(path + expected, e.Message);
    }

    [Fact]
    public void NumericLabelsAndMissingFieldsKeepTheirMeaning()
    {
        var rows = Datasets.LoadLabelled(Write("{\"text\":\"god\",\"label\":1}\n{\"text\":\"dårlig\",\"label\":\"neg\"}\n"));
        Assert.Equal(["1", "neg"], rows.Select(r => r.Label).ToArray());
        var e = Assert.Throws<EvaluationException>(() => Datasets.LoadBitext(Write("{\"source\":\"hei\",\"target\":null}\n")));
        Assert.EndsWith(":1: missing field \"target\"", e.Message);
    }

    private static int Load(string kind, string path) => kind switch
    {
        "triplets" => Datasets.LoadTriplets(path).Count,
        "bitext" => Datasets.LoadBitext(path).Count,
        _ => Datasets.LoadLabelled(path).Count,
    };
}
