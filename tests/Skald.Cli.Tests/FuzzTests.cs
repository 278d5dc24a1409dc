using System.Buffers.Binary;

using System.Text.Json.Nodes;
using Skald.Cli.IO;
using Skald.Models;
using Skald.Retrieval.Data;
using Skald.Tokenizers;
using Skald.Retrieval;
using Skald.Training.Config;
using Skald.Training.Data;
using Xunit.Abstractions;

namespace Skald.Cli.Tests;

/// <summary>
/// Seeded random mutations of the files a user hands Skald — a tokenizer.json, a safetensors header, a config.json, a
/// dataset line — each loaded (and used) the way the verbs do: every case ends in success or one of the errors the
/// CLI turns into a clean one-line exit 1, never another exception (exit 70) or a hang. A few cases also go through
/// the real process to check the exit code and the single line. Bounded: a fixed number of cases, each with a timeout.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private const int CasesPerKind = 60;
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(20);
    private static readonly string[] Texts = ["Hei på deg, hvordan går det?", "Bergen ligger på Vestlandet.", "æøå ÆØÅ äö 123 🙂", "x"];

    private readonly string dir = TestPaths.NewTempDir();
    private readonly Random random = new(2026);

    /// <summary>The exceptions Cli.Run reports as one clean line with exit 1.</summary>
    private static bool IsClean(Exception e) => e is ModelFormatException or TokenizerException or InputException or TrainingException
        or EvaluationException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException;

    [Fact]
    public void MutatedTokenizerJsonLoadsOrFailsCleanly()
    {
        string source = File.ReadAllText(Path.Combine(TestPaths.FixtureModel("bert-cased-mean"), "tokenizer.json"));
        Run("tokenizer.json", i =>
        {
            string path = Path.Combine(dir, $"tok{i}.json");
            File.WriteAllText(path, MutateJson(source));
            var tokenizer = Tokenizer.FromFile(path);
            tokenizer.EncodeBatch(Texts);
        });
    }

    [Fact]
    public void MutatedConfigJsonLoadsOrFailsCleanly()
    {
        string fixture = TestPaths.FixtureModel("bert-cased-mean");
        string config = File.ReadAllText(Path.Combine(fixture, "config.json"));
        Run("config.json", i =>
        {
            string model = CopyModel(fixture, $"cfg{i}");
            File.WriteAllText(Path.Combine(model, "config.json"), MutateJson(config));
            SentenceEncoder.Load(model).Encode(Texts);
        });
    }

    [Fact]
    public void MutatedSafetensorsHeaderLoadsOrFailsCleanly()
    {
        string fixture = TestPaths.FixtureModel("bert-cased-mean");
        byte[] weights = File.ReadAllBytes(Path.Combine(fixture, "model.safetensors"));
        int headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(weights);
        string header = System.Text.Encoding.UTF8.GetString(weights, 8, headerLength);
        Run("safetensors header", i =>
        {
            string model = CopyModel(fixture, $"st{i}");
            byte[] mutated;
            if (random.Next(3) == 0)
            {
                mutated = (byte[])weights.Clone(); // raw byte damage anywhere in the first 8 + header bytes
                for (int k = 0; k < 1 + random.Next(4); k++) mutated[random.Next(8 + headerLength)] = (byte)random.Next(256);
            }
            else
            {
                byte[] h = System.Text.Encoding.UTF8.GetBytes(MutateJson(header));
                mutated = [.. BitConverter.GetBytes((ulong)h.Length), .. h, .. weights.AsSpan(8 + headerLength)];
            }
            File.WriteAllBytes(Path.Combine(model, "model.safetensors"), mutated);
            SentenceEncoder.Load(model).Encode(Texts);
        });
    }

    [Fact]
    public void MutatedDatasetLinesReadOrFailCleanly()
    {
        string[] lines = [.. Enumerable.Range(0, 6).Select(i => $"{{\"text\": \"Spørsmål nummer {i}?\"}}")];
        Run("dataset line", i =>
        {
            var copy = (string[])lines.Clone();
            int at = random.Next(copy.Length);
            copy[at] = MutateText(copy[at]);
            string path = Path.Combine(dir, $"data{i}.jsonl");
            File.WriteAllText(path, string.Join('\n', copy) + "\n");
            DatasetReader.Read(path);
            TextInput.Read(path, allowBlank: true);
        });
    }

    [Fact]
    public void MutatedFilesThroughTheRealProcessAreOneLineOrSuccess()
    {
        string fixture = TestPaths.FixtureModel("bert-cased-mean");
        string config = File.ReadAllText(Path.Combine(fixture, "config.json"));
        string tokenizer = File.ReadAllText(Path.Combine(fixture, "tokenizer.json"));
        string input = Path.Combine(dir, "in.txt");
        File.WriteAllText(input, string.Join('\n', Texts) + "\n");
        for (int i = 0; i < 8; i++)
        {
            string model = CopyModel(fixture, $"proc{i}");
            if (i % 2 == 0) File.WriteAllText(Path.Combine(model, "config.json"), MutateJson(config));
            else File.WriteAllText(Path.Combine(model, "tokenizer.json"), MutateJson(tokenizer));
            var r = SkaldProcess.Run("encode", "--model", model, "--input", input, "--output", Path.Combine(dir, $"o{i}.jsonl"));
            Assert.True(r.ExitCode is 0 or 1, $"case {i}: exit {r.ExitCode}: {r.Stderr}");
            if (r.ExitCode == 1) SkaldProcess.AssertUserError(r, 1);
        }
    }

    private void Run(string kind, Action<int> body)
    {
        int ok = 0, clean = 0;
        for (int i = 0; i < CasesPerKind; i++)
        {
            var task = Task.Run(() => body(i));
            bool finished;
            try
            {
                finished = task.Wait(CaseTimeout);
            }
            catch (AggregateException e) when (e.InnerException is { } inner)
            {
                Assert.True(IsClean(inner), $"{kind} case {i}: {inner.GetType().Name}: {inner.Message}\n{inner.StackTrace}");
                clean++;
                continue;
            }
            Assert.True(finished, $"{kind} case {i}: no result after {CaseTimeout.TotalSeconds} s (a hang)");
            ok++;
        }
        output.WriteLine($"{kind}: {ok} loaded, {clean} clean errors");
    }

    private string CopyModel(string fixture, string name)
    {
        string model = Path.Combine(dir, name);
        foreach (var f in Directory.GetFiles(fixture, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(model, Path.GetRelativePath(fixture, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        return model;
    }

    /// <summary>One to three random edits of a JSON document's values, or of its text.</summary>
    private string MutateJson(string json)
    {
        if (random.Next(6) == 0) return MutateText(json);
        var root = JsonNode.Parse(json)!;
        for (int k = 0; k < 1 + random.Next(3); k++)
        {
            var (parent, key, index) = PickSlot(root);
            JsonNode? value = RandomValue();
            if (parent is JsonObject o && key is not null)
            {
                if (random.Next(5) == 0) o.Remove(key);
                else o[key] = value;
            }
            else if (parent is JsonArray a && index >= 0)
            {
                a[index] = value;
            }
        }
        return root.ToJsonString();
    }

    private (JsonNode? Parent, string? Key, int Index) PickSlot(JsonNode root)
    {
        JsonNode node = root;
        (JsonNode? Parent, string? Key, int Index) slot = (null, null, -1);
        for (int depth = 0; depth < 6; depth++)
        {
            if (node is JsonObject o && o.Count > 0)
            {
                var prop = o.ElementAt(random.Next(o.Count));
                slot = (o, prop.Key, -1);
                if (prop.Value is null || random.Next(3) == 0) break;
                node = prop.Value;
            }
            else if (node is JsonArray a && a.Count > 0)
            {
                int i = random.Next(a.Count);
                slot = (a, null, i);
                if (a[i] is null || random.Next(3) == 0) break;
                node = a[i]!;
            }
            else break;
        }
        return slot;
    }

    private JsonNode? RandomValue() => random.Next(12) switch
    {
        0 => null,
        1 => JsonValue.Create(-1),
        2 => JsonValue.Create(0),
        3 => JsonValue.Create(int.MaxValue),
        4 => JsonValue.Create(1e38),
        5 => JsonValue.Create(-5.5),
        6 => JsonValue.Create(""),
        7 => JsonValue.Create("\ud800"),
        8 => JsonValue.Create("(a+)+$"),
        9 => new JsonArray(),
        10 => new JsonObject { ["type"] = "Nope" },
        _ => JsonValue.Create(true),
    };

    /// <summary>A random textual edit: a cut, a doubled or deleted span, or inserted junk.</summary>
    private string MutateText(string text)
    {
        if (text.Length == 0) return "{";
        int at = random.Next(text.Length);
        return random.Next(5) switch
        {
            0 => text[..at],
            1 => text.Remove(at, Math.Min(text.Length - at, 1 + random.Next(8))),
            2 => text.Insert(at, new[] { "\"", "{", "}", "\\", "\\u", "\\ud800", "\u0000", ",", "]", "\r" }[random.Next(10)]),
            3 => text.Insert(at, text.Substring(at, Math.Min(text.Length - at, 1 + random.Next(20)))),
            _ => text.Insert(at, new string('9', 1 + random.Next(30))),
        };
    }
}
