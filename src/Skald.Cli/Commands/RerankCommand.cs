using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Skald.Cli.CommandLine;
using Skald.Cli.IO;
using Skald.Cli.Output;
using Skald.Models.BgeM3;
using Skald.Models.CrossEncoders;
using Skald.Models.LateInteraction;
using Skald.Retrieval.Data;
using Skald.Tokenizers.Serialization;

namespace Skald.Cli.Commands;

/// <summary>
/// <c>skald rerank</c>: a cross-encoder scores each document against one query, or a late-interaction (ColBERT) model
/// by MaxSim; the documents come out best first.
/// </summary>
internal sealed class RerankCommand : Command
{
    private readonly Option<string> model = CliOptions.Text("--model",
        "Cross-encoder folder (a reranker: sentence-transformers CrossEncoder or *ForSequenceClassification with one label), a PyLate ColBERT folder (scored by MaxSim), a BGE-M3 folder (its three scores weighted, --bge-m3-weights), or a hub id org/name[@revision]",
        "DIR|ID", required: true);
    private readonly Option<string> query = CliOptions.Text("--query", "The query text", "TEXT", required: true);
    private readonly Option<string> documents = CliOptions.Text("--documents", "Documents: .txt (one per line) or .jsonl (a \"text\" field per line)", "FILE", required: true);
    private readonly Option<int?> topK = CliOptions.Int("--top-k", "Results to show (default: all)");
    private readonly Option<int?> batchSize = CliOptions.Int("--batch-size", "Pairs per forward pass", defaultValue: 32);
    private readonly Option<int?> maxLength = CliOptions.Int("--max-length", "Cut each pair to N tokens, longest text first (default: the model's)");
    private readonly Option<string> format = CliOptions.Choice("--format", "table, or json (one object with every field)", "table", "table", "json");
    private readonly Option<string> quantize = QuantizeOption.Create();
    private readonly Option<string> float32Matmul = Float32MatmulOption.Create();
    private readonly Option<bool> causalLm = CliOptions.Flag("--causal-lm",
        "The model is a causal LM that answers yes or no (Qwen3-Reranker as published): the score is P(yes) against no at the end of Qwen3-Reranker's prompt");
    private readonly Option<string> instruction = CliOptions.Text("--instruction", "With --causal-lm: the task instruction in the prompt (default: Qwen3-Reranker's web-search one)", "TEXT");
    private readonly Option<string> answers = CliOptions.Text("--answer-tokens", "With --causal-lm: the yes and no tokens whose logits are read", "YES,NO", "yes,no");
    private readonly Option<string> adapters = CliOptions.Text("--adapters", "PEFT LoRA adapter folders merged into the model in order (a SEQ_CLS adapter may bring the head), comma-separated", "DIR[,DIR...]");
    private readonly Option<string> bgeM3Weights = BgeM3Options.Weights("the score");

    public RerankCommand() : base("rerank", "Order documents by a cross-encoder's score against a query (best first)")
    {
        foreach (var o in new Option[] { model, query, documents, topK, batchSize, maxLength, format, quantize, float32Matmul, adapters, causalLm, instruction, answers, bgeM3Weights }) Options.Add(o);
        SetAction(Run);
    }

    private int Run(ParseResult p)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        string text = p.GetValue(query)!;
        if (text.Trim().Length == 0) throw new UsageException("--query is empty");
        var docs = TextInput.Read(p.GetValue(documents)!, allowBlank: false);
        if (p.GetValue(instruction) is not null && !p.GetValue(causalLm)) throw new UsageException("--instruction is for --causal-lm rerankers");
        var tokens = CliOptions.Items(p.GetValue(answers));
        if (tokens.Length != 2) throw new UsageException("--answer-tokens takes two tokens, yes and no (e.g. yes,no)");
        string? resolved = p.GetValue(causalLm) ? null : HubModels.Resolve(p.GetValue(model)!, quiet);
        if (resolved is not null && ColbertEncoder.IsColbert(resolved)) return RunColbert(p, resolved, text, docs);
        if (resolved is not null && BgeM3Encoder.IsBgeM3(resolved)) return RunBgeM3(p, resolved, text, docs);
        if (p.GetValue(bgeM3Weights) is not null) throw new UsageException("--bge-m3-weights is for BGE-M3 folders (sparse_linear.pt and colbert_linear.pt beside modules.json)");
        using var reranker = Rerankers.Load(p.GetValue(model)!, quiet, p.GetValue(causalLm), CliOptions.AdapterFolders(p.GetValue(adapters)), tokens[0], tokens[1],
            PromptedPairs.Qwen3Reranker with { Instruction = p.GetValue(instruction) ?? PromptedPairs.Qwen3Reranker.Instruction });
        QuantizeOption.Apply(Float32MatmulOption.Apply(reranker, p.GetValue(float32Matmul), quiet), p.GetValue(quantize), quiet);
        var ranked = ProgressView.Run("reranking", docs.Count >= 64, quiet, bar => reranker.Rank(text, docs, p.GetValue(topK),
            new CrossEncoderOptions
            {
                BatchSize = p.GetValue(batchSize) ?? 32,
                MaxLength = p.GetValue(maxLength),
                Progress = (done, total) => bar.Report(done, total),
            }));
        Write(p, text, ranked, docs);
        return 0;
    }

    // A late-interaction model: the query's and each document's token vectors, the documents ordered by MaxSim.
    private int RunColbert(ParseResult p, string local, string text, IReadOnlyList<string> docs)
    {
        foreach (var o in new Option[] { maxLength, quantize, adapters, instruction, answers })
        {
            if (p.GetResult(o) is { Implicit: false })
                throw new UsageException($"{o.Name} is for cross-encoders; a ColBERT model reads query_length and document_length from its config_sentence_transformers.json");
        }
        using var colbert = Float32MatmulOption.Apply(ColbertEncoder.Load(local), p.GetValue(float32Matmul), p.GetValue(CliOptions.Quiet));
        var ranked = ProgressView.Run("reranking", docs.Count >= 64, p.GetValue(CliOptions.Quiet),
            _ => colbert.Rank(text, docs, p.GetValue(topK), p.GetValue(batchSize) ?? 32));
        Write(p, text, ranked, docs);
        return 0;
    }

    // BGE-M3: the query's and each document's three outputs, the documents ordered by the weighted score.
    private int RunBgeM3(ParseResult p, string local, string text, IReadOnlyList<string> docs)
    {
        foreach (var o in new Option[] { quantize, adapters, instruction, answers })
        {
            if (p.GetResult(o) is { Implicit: false }) throw new UsageException($"{o.Name} is for cross-encoders, not a BGE-M3 model");
        }
        var weights = BgeM3Options.Parse(p.GetValue(bgeM3Weights));
        using var m3 = Float32MatmulOption.Apply(BgeM3Encoder.Load(local), p.GetValue(float32Matmul), p.GetValue(CliOptions.Quiet));
        var options = new Skald.Models.EncodeOptions { BatchSize = p.GetValue(batchSize) ?? 32, MaxLength = p.GetValue(maxLength) };
        var ranked = ProgressView.Run("reranking", docs.Count >= 64, p.GetValue(CliOptions.Quiet),
            _ => m3.Rank(text, docs, weights, p.GetValue(topK), options));
        Write(p, text, ranked, docs);
        return 0;
    }

    private void Write(ParseResult p, string text, IReadOnlyList<RankedDocument> ranked, IReadOnlyList<string> docs)
    {
        bool quiet = p.GetValue(CliOptions.Quiet);
        if (p.GetValue(format) == "json") WriteJson(text, ranked, docs);
        else
        {
            var table = new ResultTable($"{ranked.Count} of {Counted.Of(docs.Count, "document")} for \"{text}\"", "#", "score", "line", "text");
            for (int i = 0; i < ranked.Count; i++)
            {
                table.Add((i + 1).ToString(CultureInfo.InvariantCulture), ranked[i].Score.ToString("F4", CultureInfo.InvariantCulture),
                    (ranked[i].Index + 1).ToString(CultureInfo.InvariantCulture), Snippets.Of(docs[ranked[i].Index]));
            }
            table.Write(Terminal.Stdout(quiet), Console.Out);
        }
    }

    private static void WriteJson(string text, IReadOnlyList<RankedDocument> ranked, IReadOnlyList<string> docs)
    {
        using var stdout = Terminal.OpenStdoutBytes();
        using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("query", text);
            w.WriteStartArray("results");
            foreach (var r in ranked)
            {
                w.WriteStartObject();
                w.WriteNumber("index", r.Index);
                w.WriteNumber("score", r.Score);
                w.WriteString("text", docs[r.Index]);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stdout.Write("\n"u8);
    }
}
