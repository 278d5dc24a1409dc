using Skald.Training.Config;
using Skald.Training.Data;

namespace Skald.Training.Tests.Config;

/// <summary>
/// <c>training.prompts</c> read and matched to the data as sentence-transformers' collator applies them: one text for
/// every column, column → text, data set → text or column → text; a FlagEmbedding list column named once; empty
/// prompts are none; bad keys and values are one line naming the key.
/// </summary>
public sealed class TrainingPromptsConfigTests
{
    private static TrainingPrompts? Read(string prompts) => ConfigLoader.Parse($"""
        model:
          path: m
        data:
          train: a.jsonl
        training:
          prompts: {prompts}
        output:
          dir: out
        """, "test.yaml").Training.Prompts;

    private static readonly TextDataset First = new("a.jsonl", ["anchor", "positive"], [["x", "y"]]);
    private static readonly TextDataset Second = new("b.jsonl", ["query", "pos", "neg[0]", "neg[1]"], [["q", "p", "n", "m"]]);

    private static void Same(string?[] expected, string?[]? actual) => Assert.Equal((IEnumerable<string?>)expected, actual!);

    [Fact]
    public void OneText_GoesBeforeEveryColumn()
    {
        var p = Read("\"query: \"")!.Resolve([First, Second]);
        Same(["query: ", "query: "], p[0]!);
        Same(["query: ", "query: ", "query: ", "query: "], p[1]!);
    }

    [Fact]
    public void ColumnMap_NamesColumnsOfAnyDataSet_AListColumnByItsName()
    {
        var p = Read("{anchor: 'a: ', neg: 'n: '}")!.Resolve([First, Second]);
        Same(["a: ", null], p[0]!);
        Same([null, null, "n: ", "n: "], p[1]!);
    }

    [Fact]
    public void DataSetMap_TextOrColumns_OthersNone()
    {
        var p = Read("{a.jsonl: {positive: 'p: '}}")!.Resolve([First, Second]);
        Same([null, "p: "], p[0]!);
        Assert.Null(p[1]);
        p = Read("{b.jsonl: 'q: '}")!.Resolve([First, Second]);
        Assert.Null(p[0]);
        Same(["q: ", "q: ", "q: ", "q: "], p[1]!);
    }

    [Fact]
    public void EmptyPrompt_IsNone()
    {
        Assert.Null(Read("\"\"")!.Resolve([First])[0]);
        Same([null, "p: "], Read("{anchor: '', positive: 'p: '}")!.Resolve([First])[0]!);
    }

    [Theory]
    [InlineData("{anchr: 'a: '}", "training.prompts['anchr']: no training data set has a column 'anchr'")]
    [InlineData("{c.jsonl: {anchor: 'a: '}}", "training.prompts['c.jsonl'] is a mapping of column prompts, which is given per data set, and 'c.jsonl' is no data.train entry")]
    [InlineData("{a.jsonl: {query: 'q: '}}", "training.prompts['a.jsonl']['query']: a.jsonl has no column 'query' (its columns: anchor, positive)")]
    [InlineData("{a.jsonl: 'x', anchor: 'y'}", "training.prompts names a data set ('a.jsonl') and a column ('anchor')")]
    public void UnknownKeys_AreOneLineNamingTheKey(string prompts, string message)
    {
        var e = Assert.Throws<TrainingException>(() => Read(prompts)!.Resolve([First, Second]));
        Assert.StartsWith("test.yaml:6: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("[a, b]", "training.prompts must be a text, a mapping of column names to texts")]
    [InlineData("{anchor: [a]}", "training.prompts['anchor'] must be a text")]
    [InlineData("{anchor: }", "training.prompts['anchor'] must be a text")]
    [InlineData("{a.jsonl: {anchor: {x: y}}}", "training.prompts['a.jsonl']['anchor'] must be a text")]
    public void WrongTypes_AreOneLineNamingTheKey(string prompts, string message)
    {
        var e = Assert.Throws<TrainingException>(() => Read(prompts));
        Assert.StartsWith("test.yaml:6: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
