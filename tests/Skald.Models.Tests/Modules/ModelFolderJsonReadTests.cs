using System.Text;
using Skald.Models.Adapters;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.CrossEncoders;
using Skald.Models.LateInteraction;

namespace Skald.Models.Tests.Modules;

/// <summary>
/// The model-folder JSON files read outside a loader (an adapter's task_type, a config.json's model_type,
/// architectures or auto_map, a shard index's weight_map) are read as the loaders read them (Modules.JsonFiles: UTF-8
/// with or without a byte order mark, UTF-16 with its mark): a config.json or adapter_config.json saved with a BOM is
/// what it says, not silently "not a classifier" or "not a Stanford checkpoint" (JsonDocument.Parse over the bytes refused
/// the BOM and the probe took its exception for "no"); a malformed file, or a key of the wrong type, is one line naming
/// the file (and key) instead of "no", or an internal error.
/// </summary>
public sealed class ModelFolderJsonReadTests : IDisposable
{
    private readonly string dir = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>The encodings a model-folder JSON file may be saved in besides plain UTF-8 (Notepad, PowerShell's Out-File).</summary>
    public static TheoryData<string> Marked => ["utf-8 with BOM", "utf-16le with BOM"];

    private static void Rewrite(string file, string encoding)
    {
        string text = File.ReadAllText(file);
        var enc = encoding == "utf-8 with BOM" ? new UTF8Encoding(true) : (Encoding)new UnicodeEncoding(bigEndian: false, byteOrderMark: true);
        File.WriteAllBytes(file, [.. enc.GetPreamble(), .. enc.GetBytes(text)]);
    }

    private string Folder(string name, string configJson)
    {
        string folder = Path.Combine(dir, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), configJson);
        return folder;
    }

    [Theory]
    [MemberData(nameof(Marked))]
    public void AnAdapterConfigWithAByteOrderMarkIsStillASequenceClassifier(string encoding)
    {
        string adapter = BertLoraFolder.Write(Path.Combine(dir, "seq-cls"), TestPaths.FixtureModel("bert-cased-mean"), taskType: "SEQ_CLS");
        Rewrite(Path.Combine(adapter, PeftAdapters.ConfigFile), encoding);
        Assert.True(AdapterBase.IsSequenceClassification(adapter));
        Assert.True(CrossEncoder.IsCrossEncoder(adapter));
    }

    [Theory]
    [MemberData(nameof(Marked))]
    public void AConfigWithAByteOrderMarkIsReadForItsArchitectureAndType(string encoding)
    {
        string stanford = Folder("stanford", """{"architectures": ["HF_ColBERT"], "model_type": "bert", "hidden_size": 32}""");
        Rewrite(Path.Combine(stanford, "config.json"), encoding);
        Assert.True(StanfordColbert.IsStanford(stanford));
        Assert.Equal("bert", AdapterBase.ModelType(stanford));
        string custom = Folder("custom", """{"model_type": "skald-unknown", "auto_map": {"AutoModel": "modeling_x.MyEncoder"}}""");
        Rewrite(Path.Combine(custom, "config.json"), encoding);
        Assert.Equal("MyEncoder", AutoModelClass.ForFolder(custom, "skald-unknown"));
    }

    [Fact]
    public void AMalformedFileIsOneLineNamingIt()
    {
        const string Cut = """{"architectures": ["HF_ColBERT"], "task_type": """;
        string folder = Folder("cut", Cut);
        string config = Path.Combine(folder, "config.json");
        foreach (var probe in new Action[]
                 {
                     () => StanfordColbert.IsStanford(folder),
                     () => AdapterBase.ModelType(folder),
                     () => AutoModelClass.ForFolder(folder, "skald-unknown"),
                 })
        {
            var e = Assert.Throws<ModelFormatException>(probe);
            Assert.StartsWith($"{config}: not JSON (line 1, column ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        string adapter = BertLoraFolder.Write(Path.Combine(dir, "cut-adapter"), TestPaths.FixtureModel("bert-cased-mean"));
        File.WriteAllText(Path.Combine(adapter, PeftAdapters.ConfigFile), Cut);
        var a = Assert.Throws<ModelFormatException>(() => AdapterBase.IsSequenceClassification(adapter));
        Assert.StartsWith($"{Path.Combine(adapter, PeftAdapters.ConfigFile)}: not JSON (line 1, column ", a.Message);
        File.WriteAllText(Path.Combine(adapter, PeftAdapters.ConfigFile), "[]");
        a = Assert.Throws<ModelFormatException>(() => AdapterBase.IsSequenceClassification(adapter));
        Assert.Equal($"{Path.Combine(adapter, PeftAdapters.ConfigFile)}: expected a JSON object, found array", a.Message);
    }

    [Fact]
    public void AKeyOfTheWrongTypeIsOneLineNamingFileAndKey()
    {
        string adapter = BertLoraFolder.Write(Path.Combine(dir, "typed"), TestPaths.FixtureModel("bert-cased-mean"));
        string file = Path.Combine(adapter, PeftAdapters.ConfigFile);
        File.WriteAllText(file, File.ReadAllText(file).TrimEnd().TrimEnd('}') + ", \"task_type\": 5}");
        var e = Assert.Throws<ModelFormatException>(() => AdapterBase.IsSequenceClassification(adapter));
        Assert.Equal($"{file}: key \"task_type\" must be a string, found 5", e.Message);
        string folder = Folder("typed-config", """{"model_type": 5}""");
        e = Assert.Throws<ModelFormatException>(() => AdapterBase.ModelType(folder));
        Assert.Equal($"{Path.Combine(folder, "config.json")}: key \"model_type\" must be a string, found 5", e.Message);
    }

    [Fact]
    public void AShardIndexEntryThatIsNoFileNameIsOneLineNamingIt()
    {
        string model = TestPaths.CopyOfFixtureModel(Path.Combine("torch-bin", "bert-sharded"));
        string index = Path.Combine(model, "pytorch_model.bin.index.json");
        File.WriteAllText(index, File.ReadAllText(index).Replace(
            "\"embeddings.LayerNorm.bias\": \"pytorch_model-00001-of-00002.bin\"", "\"embeddings.LayerNorm.bias\": 5", StringComparison.Ordinal));
        // (it was an InvalidOperationException: the CLI's "internal error")
        var e = Assert.Throws<ModelFormatException>(() => Checkpoint.OpenFolder(model).Dispose());
        Assert.Equal($"{index}: weight_map[\"embeddings.LayerNorm.bias\"] is not a file name, found 5", e.Message);
        Assert.Equal(e.Message, Assert.Throws<ModelFormatException>(() => Checkpoint.ShardsOf(index)).Message);
    }
}
