using Skald.Retrieval.Index;
using Skald.Retrieval.Models;

namespace Skald.Retrieval.Tests;

/// <summary>
/// An index built from code with an adapter folder given as the model (<see cref="EncoderEmbeddingModel.Load"/> of the
/// folder) records that folder as its model, not the base the encoder's <see cref="Skald.Models.SentenceEncoder.Folder"/>
/// reads: the base alone makes other vectors, so it must not open the index, and the adapter folder must.
/// </summary>
public sealed class AdapterTextIndexTests
{
    private static readonly IndexRecord[] Rows =
    [
        TextIndex.Record("ferie", "Ferien avtales med nærmeste leder innen 1. april.", "Ferie"),
        TextIndex.Record("lonn", "Lønn utbetales den 20. hver måned."),
    ];

    [Fact]
    public void AnIndexBuiltWithAnAdapterFolderIsTheAdapterFoldersNotItsBases()
    {
        string model = TestPaths.FixtureModel("bert-cased-mean");
        string adapter = BertLoraFolder.Write(Path.Combine(TestPaths.NewTempDir(), "lora"), model);
        string folder = Path.Combine(TestPaths.NewTempDir(), "index");
        using var viaAdapter = EncoderEmbeddingModel.Load(adapter);
        using var plain = EncoderEmbeddingModel.Load(model);
        Assert.NotEqual(plain.EmbedQuery("ferie"), viaAdapter.EmbedQuery("ferie")); // the adapter changes the vectors

        Assert.Equal(adapter, viaAdapter.ModelPath);
        var manifest = TextIndex.Build(folder, viaAdapter, Rows);
        Assert.Equal(Path.GetFullPath(adapter), Path.GetFullPath(manifest.Model));
        using (var index = TextIndex.Open(folder, viaAdapter))
            Assert.Equal("ferie", TextIndex.Search(index, viaAdapter, "Når må ferien avtales?", SearchMode.Dense, topK: 1)[0].Record.Id);
        var refused = Assert.Throws<ArgumentException>(() => TextIndex.Open(folder, plain));
        Assert.Contains(Path.GetFullPath(adapter), refused.Message);
    }
}
