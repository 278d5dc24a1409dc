using System.CommandLine;
using System.Text;
using System.Text.Json;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Tokenizers;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald tokenize</c>: one <c>{"ids":[...],"tokens":[...]}</c> per input line, as HF <c>encode(text)</c>;
/// with <c>--pair FILE</c> line i of the input is encoded with line i of FILE as a pair (adds "type_ids").
/// </summary>
internal sealed class TokenizeCommand : Command
{
    private readonly Option<string> tokenizer = CliOptions.Text("--tokenizer", "tokenizer.json, or a folder holding one, or a model folder (an adapter folder reads its base's) or hub id org/name[@revision]", "FILE_OR_DIR", required: true);
    private readonly Option<string> input = CliOptions.Text("--input", "Texts, one per line (.txt) or a \"text\" field per line (.jsonl); blank lines are texts too", "FILE", required: true);
    private readonly Option<string> output = CliOptions.Text("--output", "One {\"ids\": [...], \"tokens\": [...]} per input line (.jsonl)", "FILE", required: true);
    private readonly Option<int?> maxLength = CliOptions.Int("--max-length", "Truncate to N tokens (special tokens included)");
    private readonly Option<string> pair = CliOptions.Text("--pair", "Second texts: line i is encoded as a pair with input line i (adds \"type_ids\")", "FILE");

    public TokenizeCommand() : base("tokenize", "Tokenize texts exactly as Hugging Face tokenizers' encode(text) does")
    {
        Options.Add(tokenizer);
        Options.Add(input);
        Options.Add(output);
        Options.Add(maxLength);
        Options.Add(pair);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        string path = p.GetValue(tokenizer)!, inputPath = p.GetValue(input)!, outputPath = p.GetValue(output)!;
        int max = p.GetValue(maxLength) ?? 0;
        OutputPath.NotAnInput(outputPath, inputPath, path);
        path = TokenizerFile.Resolve(path);
        var tok = Tokenizer.FromFile(path);
        // Blank lines are texts too here (HF encodes "" to the special tokens alone).
        var texts = TextInput.Read(inputPath, allowBlank: true);
        AtomicFile.CheckWritable(outputPath); // before the texts are encoded, not after
        string? pairPath = p.GetValue(pair);
        IReadOnlyList<Skald.Tokenizers.Encoding> encodings;
        if (pairPath is null)
        {
            encodings = tok.EncodeBatch(texts, true, max);
        }
        else
        {
            var seconds = TextInput.Read(pairPath, allowBlank: true);
            if (seconds.Count != texts.Count)
                throw new InputException($"{pairPath}: has {seconds.Count} lines but {inputPath} has {texts.Count}; --pair needs one line per input line");
            encodings = tok.EncodePairBatch(texts.Zip(seconds).ToArray(), max > 0 ? new TruncationOptions(max) : null);
        }
        AtomicFile.Write(outputPath, s =>
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
