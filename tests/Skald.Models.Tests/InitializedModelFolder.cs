using System.Text.Json.Nodes;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Tests;

namespace Skald.Models.Tests;

/// <summary>A model folder for a test: a fixture's config.json changed by the test, weights initialised as transformers does.</summary>
internal static class InitializedModelFolder
{
    /// <summary>
    /// Writes into <paramref name="dir"/> <paramref name="fixture"/>'s config.json as <paramref name="edit"/> changes it,
    /// weights for it initialised from <paramref name="seed"/> (a float32 checkpoint) and the fixture's tokenizer.json;
    /// returns <paramref name="dir"/>.
    /// </summary>
    public static string Write(string fixture, string dir, Action<JsonNode> edit, ulong seed)
    {
        string source = TestPaths.FixtureModel(fixture);
        Directory.CreateDirectory(dir);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "config.json")))!;
        edit(config);
        string configPath = Path.Combine(dir, "config.json");
        File.WriteAllText(configPath, config.ToJsonString());
        var model = ArchitectureRegistry.Initialize(TransformerConfig.Load(configPath), seed);
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"),
            model.Parameters.Select(p => new TensorToWrite(p.Name, p.Shape, p.Data)), SafeTensorsDType.F32);
        File.Copy(Path.Combine(source, "tokenizer.json"), Path.Combine(dir, "tokenizer.json"));
        return dir;
    }
}
