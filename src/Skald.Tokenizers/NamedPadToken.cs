using System.Text.Json;
using Skald.Tokenizers.Serialization;

namespace Skald.Tokenizers;

/// <summary>
/// The pad token a Hugging Face model folder's tokenizer files name, as transformers' AutoTokenizer takes it:
/// tokenizer_config.json's <c>pad_token</c>, else special_tokens_map.json's (a token's text, or an added token's object
/// with its <c>content</c>; null or absent: not named), with the file that names it. The one reader of it:
/// <see cref="Tokenizer.FromFolder"/> pads with it, and <c>skald merge</c> reads it for a decoder classifier's config.
/// </summary>
/// <param name="Token">The pad token's text.</param>
/// <param name="File">The file that names it.</param>
public sealed record NamedPadToken(string Token, string File)
{
    /// <summary>The files read, in order: the first that names a pad token gives it.</summary>
    public static readonly IReadOnlyList<string> Files = ["tokenizer_config.json", "special_tokens_map.json"];

    /// <summary>
    /// The pad token <paramref name="folder"/>'s tokenizer_config.json, else special_tokens_map.json, names; null when
    /// neither does. A file that is not JSON, or whose <c>pad_token</c> is neither a text nor an object with a text
    /// <c>content</c>, is a <see cref="TokenizerException"/> naming it.
    /// </summary>
    public static NamedPadToken? Read(string folder) => Read(folder, "pad_token");

    /// <summary>
    /// The special token <paramref name="folder"/>'s tokenizer files name under <paramref name="key"/> (<c>cls_token</c>,
    /// <c>eos_token</c>, <c>unk_token</c>, ...), read as <see cref="Read(string)"/> reads <c>pad_token</c>: the same files
    /// in the same order, the same forms and the same errors.
    /// </summary>
    public static NamedPadToken? Read(string folder, string key)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(key);
        foreach (string name in Files)
        {
            string file = Path.Combine(folder, name);
            if (!System.IO.File.Exists(file)) continue;
            using var doc = Parse(file);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new TokenizerException($"{file}: expected a JSON object");
            if (!doc.RootElement.TryGetProperty(key, out var pad) || pad.ValueKind == JsonValueKind.Null) continue;
            return pad.ValueKind switch
            {
                JsonValueKind.String => new(pad.GetString()!, file),
                JsonValueKind.Object when pad.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => new(c.GetString()!, file),
                _ => throw new TokenizerException($"{file}: key \"{key}\" must be a token's text or an object with its \"content\""),
            };
        }
        return null;
    }

    private static JsonDocument Parse(string file) => JsonFile.Read(file, m => new TokenizerException(m));
}
