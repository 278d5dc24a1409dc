using System.Text;
using System.Text.Json;
using Skald.Cli.IO;
using Skald.Tokenizers;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald tokenize</c>: one <c>{"ids":[...],"tokens":[...]}</c> per input line, as HF <c>encode(text)</c>;
/// with <c>--pair FILE</c> line i of the input is encoded with line i of FILE as a pair (adds "type_ids").
/// </summary>
internal static class TokenizeCommand
{
    public const string Usage = "skald tokenize --tokenizer FILE_OR_DIR --input FILE.txt --output FILE.jsonl [--max-length N] [--pair FILE]";

    public static int Run(IReadOnlyList<string> args)
    {
        var a = new CliArgs("tokenize", args, ["--tokenizer", "--input", "--output", "--max-length", "--pair"]);
        string path = a.Require("--tokenizer"), input = a.Require("--input"), output = a.Require("--output");
        int maxLength = a.GetInt("--max-length") ?? 0;
        if (Directory.Exists(path)) path = Path.Combine(path, "tokenizer.json");
        if (!File.Exists(path)) throw new InputException($"{path}: file not found");
        var tokenizer = Tokenizer.FromFile(path);
        // Blank lines are texts too here (HF encodes "" to the special tokens alone).
        var texts = TextInput.Read(input, allowBlank: true);
        string? pairPath = a.Get("--pair");
        IReadOnlyList<Skald.Tokenizers.Encoding> encodings;
        if (pairPath is null)
        {
            encodings = tokenizer.EncodeBatch(texts, true, maxLength);
        }
        else
        {
            var seconds = TextInput.Read(pairPath, allowBlank: true);
            if (seconds.Count != texts.Count)
                throw new InputException($"{pairPath}: has {seconds.Count} lines but {input} has {texts.Count}; --pair needs one line per input line");
            encodings = tokenizer.EncodePairBatch(texts.Zip(seconds).ToArray(), maxLength > 0 ? new TruncationOptions(maxLength) : null);
        }
        AtomicFile.Write(output, s =>
        {
            using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            foreach (var e in encodings)
            {
                w.WriteStartObject();
                w.WriteStartArray("ids");
                foreach (int id in e.Ids) w.WriteNumberValue(id);
                w.WriteEndArray();
                w.WriteStartArray("tokens");
                foreach (string t in e.Tokens) w.WriteStringValue(t);
                w.WriteEndArray();
                if (pairPath is not null)
                {
                    w.WriteStartArray("type_ids");
                    foreach (int t in e.TypeIds) w.WriteNumberValue(t);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
                w.Flush();
                s.Write("\n"u8);
                w.Reset();
            }
        });
        return 0;
    }
}
