using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skald.Models.LateInteraction;

/// <summary>
/// A tokenizer folder's files with ordinary (not special) tokens added, as transformers'
/// <c>tokenizer.add_tokens([...])</c> followed by <c>save_pretrained</c> leaves them: each token an entry of
/// tokenizer.json's <c>added_tokens</c> (<c>normalized</c> true, <c>special</c> false, no stripping, not single-word:
/// Hugging Face tokenizers' defaults for a token added by its text), of tokenizer_config.json's
/// <c>added_tokens_decoder</c> when the file has that key, and of added_tokens.json when the folder has one. Every other
/// key is kept as it was, in its order.
/// </summary>
/// <remarks>Upstream: huggingface/tokenizers' AddedToken and AddedVocabulary (tokenizers/src/tokenizer/added_vocabulary.rs) and
/// transformers' PreTrainedTokenizerBase.save_pretrained (tokenization_utils_base.py).</remarks>
internal static class AddedTokenFiles
{
    /// <summary>The files this class rewrites, in a tokenizer folder.</summary>
    public static readonly IReadOnlyList<string> FileNames = ["tokenizer.json", "tokenizer_config.json", "added_tokens.json"];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Writes the tokenizer files of <paramref name="source"/> into <paramref name="target"/> with <paramref name="tokens"/>
    /// (content and the id each gets) added; files the source lacks stay absent.
    /// </summary>
    public static void Write(string source, string target, IReadOnlyList<(string Content, int Id)> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        foreach (string name in FileNames)
        {
            string from = Path.Combine(source, name);
            if (!File.Exists(from)) continue;
            var root = Parse(from);
            switch (name)
            {
                case "tokenizer.json":
                    var added = root["added_tokens"] as JsonArray ?? throw new ModelFormatException($"{from}: key \"added_tokens\" must be a list");
                    foreach (var (content, id) in tokens)
                        added.Add(new JsonObject
                        {
                            ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                            ["normalized"] = true, ["special"] = false,
                        });
                    break;
                case "tokenizer_config.json":
                    if (root["added_tokens_decoder"] is not JsonObject decoder) break;
                    foreach (var (content, id) in tokens)
                        decoder[id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
                        {
                            ["content"] = content, ["lstrip"] = false, ["normalized"] = true, ["rstrip"] = false, ["single_word"] = false, ["special"] = false,
                        };
                    break;
                default:
                    foreach (var (content, id) in tokens) root[content] = id;
                    break;
            }
            File.WriteAllText(Path.Combine(target, name), root.ToJsonString(Indented), new UTF8Encoding(false));
        }
    }

    private static JsonObject Parse(string file) => Modules.JsonFiles.ReadNodeObject(file);
}
