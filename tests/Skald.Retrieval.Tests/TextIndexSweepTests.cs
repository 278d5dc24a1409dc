using Skald.Models;
using Skald.Retrieval.Index;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Tests;

/// <summary>
/// A named sweep of what a careless caller passes to <see cref="TextIndex"/> (the README's index-from-code lines): each
/// case is a call with the exception a .NET caller expects and the parameter it must name (null: one that succeeds), so
/// a regression names its case; a refused call writes no index folder.
/// </summary>
public sealed class TextIndexSweepTests
{
    private static readonly Lazy<EncoderEmbeddingModel> Model = new(() => new EncoderEmbeddingModel(SentenceEncoder.Load(TestPaths.FixtureModel("bert-cased-mean"))));
    private static readonly Lazy<string> Built = new(() =>
    {
        string folder = Path.Combine(TestPaths.NewTempDir(), "idx");
        TextIndex.Build(folder, Model.Value, TextIndexTests.Rows);
        return folder;
    });
    private static readonly Lazy<SearchIndex> Opened = new(() => TextIndex.Open(Built.Value, Model.Value));

    private static string Fresh() => Path.Combine(TestPaths.NewTempDir(), "idx");

    // (the call, the exception it throws or null when it succeeds, the parameter the exception names)
    private static readonly Dictionary<string, (Action Call, Type? Throws, string? Param)> Calls = new()
    {
        ["Record(id: null)"] = (() => TextIndex.Record(null!, "t"), typeof(ArgumentNullException), "id"),
        ["Record(id: \"\")"] = (() => TextIndex.Record("", "t"), typeof(ArgumentException), "id"),
        ["Record(text: null)"] = (() => TextIndex.Record("a", null!), typeof(ArgumentNullException), "text"),
        ["Record(title: null)"] = (() => TextIndex.Record("a", "t", title: null!), typeof(ArgumentNullException), "title"),
        ["Record(text: \"\")"] = (() => TextIndex.Record("a", ""), null, null),
        ["Build(folder: null)"] = (() => TextIndex.Build(null!, Model.Value, TextIndexTests.Rows), typeof(ArgumentNullException), "folder"),
        ["Build(folder: \"\")"] = (() => TextIndex.Build("", Model.Value, TextIndexTests.Rows), typeof(ArgumentException), "folder"),
        ["Build(model: null)"] = (() => TextIndex.Build(Fresh(), (EncoderEmbeddingModel)null!, TextIndexTests.Rows), typeof(ArgumentNullException), "model"),
        ["Build(records: null)"] = (() => TextIndex.Build(Fresh(), Model.Value, null!), typeof(ArgumentNullException), "records"),
        ["Build([record, null])"] = (() => TextIndex.Build(Fresh(), Model.Value, [TextIndexTests.Rows[0], null!]), typeof(ArgumentException), "records"),
        ["Add(folder: null)"] = (() => TextIndex.Add(null!, Model.Value, TextIndexTests.Rows), typeof(ArgumentNullException), "folder"),
        ["Add(records: null)"] = (() => TextIndex.Add(Built.Value, Model.Value, null!), typeof(ArgumentNullException), "records"),
        ["Add([null])"] = (() => TextIndex.Add(Built.Value, Model.Value, [null!]), typeof(ArgumentException), "records"),
        ["Open(folder: null)"] = (() => TextIndex.Open(null!, Model.Value), typeof(ArgumentNullException), "folder"),
        ["Open(model: null)"] = (() => TextIndex.Open(Built.Value, (EncoderEmbeddingModel)null!), typeof(ArgumentNullException), "model"),
        ["Search(index: null)"] = (() => TextIndex.Search(null!, Model.Value, "ferie"), typeof(ArgumentNullException), "index"),
        ["Search(model: null)"] = (() => TextIndex.Search(Opened.Value, (EncoderEmbeddingModel)null!, "ferie"), typeof(ArgumentNullException), "model"),
        ["Search(query: null)"] = (() => TextIndex.Search(Opened.Value, Model.Value, null!), typeof(ArgumentNullException), "query"),
        ["Search topK 0"] = (() => TextIndex.Search(Opened.Value, Model.Value, "ferie", topK: 0), typeof(ArgumentOutOfRangeException), "topK"),
        ["Search topK -1"] = (() => TextIndex.Search(Opened.Value, Model.Value, "ferie", topK: -1), typeof(ArgumentOutOfRangeException), "topK"),
        ["Search topK past the rows"] = (() => TextIndex.Search(Opened.Value, Model.Value, "ferie", topK: int.MaxValue), null, null),
        ["Search an empty query"] = (() => TextIndex.Search(Opened.Value, Model.Value, ""), null, null),
        ["Search a very long query"] = (() => TextIndex.Search(Opened.Value, Model.Value, string.Concat(Enumerable.Repeat("ferie ", 200_000))), null, null),
    };

    public static TheoryData<string> Cases => [.. Calls.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void EachCallGetsTheExceptionNamingItsArgument(string name)
    {
        var (call, throws, param) = Calls[name];
        if (ArgumentSweep.Check(name, call, throws) is { } thrown) Assert.Equal(param, ((ArgumentException)thrown).ParamName);
    }
}
