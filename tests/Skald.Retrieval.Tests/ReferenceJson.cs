using System.Text.Json;
using Skald.Tests;

namespace Skald.Retrieval.Tests;

/// <summary>A reference fixture written by a NumPy script (<c>fixtures/DIR/NAME.json</c>) and its typed arrays.</summary>
internal sealed class ReferenceJson(params string[] path)
{
    /// <summary>The parsed document's root.</summary>
    public JsonElement Root { get; } = JsonDocument.Parse(File.ReadAllText(Path.Combine([Repository.Root, "fixtures", .. path]))).RootElement;

    /// <summary>A float array.</summary>
    public float[] Floats(string name) => [.. Root.GetProperty(name).EnumerateArray().Select(v => v.GetSingle())];

    /// <summary>An integer array.</summary>
    public int[] Ints(string name) => [.. Root.GetProperty(name).EnumerateArray().Select(v => v.GetInt32())];

    /// <summary>An integer.</summary>
    public int Int(string name) => Root.GetProperty(name).GetInt32();

    /// <summary>A property.</summary>
    public JsonElement this[string name] => Root.GetProperty(name);

    /// <summary>An array of float arrays (rows of any length).</summary>
    public static float[][] Matrix(JsonElement rows) => [.. rows.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray())];

    /// <summary>An array of integer arrays.</summary>
    public static int[][] IntMatrix(JsonElement rows) => [.. rows.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray())];

    /// <summary>A flat array cut into rows of <paramref name="dim"/>.</summary>
    public static float[][] Rows(float[] flat, int dim) => [.. Enumerable.Range(0, flat.Length / dim).Select(i => flat[(i * dim)..((i + 1) * dim)])];
}
