using System.Text.Json;
using Skald.Tokenizers.Serialization;

namespace Skald.Tokenizers.Templates;

/// <summary>
/// A model's chat template (the Jinja text in tokenizer_config.json's <c>chat_template</c>, or chat_template.jinja),
/// rendered the way Hugging Face transformers' <c>apply_chat_template</c> renders it: <c>trim_blocks</c> and
/// <c>lstrip_blocks</c> on, loop controls on, its own <c>tojson</c> (ensure_ascii=False), the globals
/// <c>raise_exception</c> and <c>strftime_now</c>, the tokenizer's special tokens, <c>add_generation_prompt</c>, and
/// <c>tools</c>/<c>documents</c> set to none unless given. See
/// https://github.com/huggingface/transformers/blob/5e43e2e892453b405ce6d2cb94387b3a3213f30a/src/transformers/utils/chat_template_utils.py
/// (<c>_compile_jinja_template</c>). Only the subset of Jinja that real templates use is implemented; anything else
/// fails with one line naming the construct and its line and column. Instances are immutable and thread-safe.
/// </summary>
public sealed class ChatTemplate
{
    private static readonly string[] SpecialTokenKeys =
        ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

    private readonly List<Stmt> _body;
    private readonly string _normalized;
    private readonly Dictionary<string, object?> _specialTokens;
    private long _renderedChars;

    private ChatTemplate(string source, List<Stmt> body, Dictionary<string, object?> specialTokens)
    {
        Source = source;
        _normalized = TemplateLexer.Normalize(source);
        _body = body;
        _specialTokens = specialTokens;
    }

    /// <summary>The template text.</summary>
    public string Source { get; }

    /// <summary>The special tokens the template sees as variables (<c>bos_token</c>, <c>eos_token</c>, …).</summary>
    public IReadOnlyDictionary<string, object?> SpecialTokens => _specialTokens;

    /// <summary>The clock <c>strftime_now</c> reads: local time, as Python's <c>datetime.now()</c>, unless replaced by <see cref="WithClock"/>.</summary>
    public Func<DateTime> Clock { get; private init; } = () => DateTime.Now;

    /// <summary>The same template reading <paramref name="clock"/> in <c>strftime_now</c> (for reproducible output).</summary>
    public ChatTemplate WithClock(Func<DateTime> clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return new ChatTemplate(Source, _body, new Dictionary<string, object?>(_specialTokens, StringComparer.Ordinal)) { Clock = clock };
    }

    /// <summary>
    /// Parses a template text. <paramref name="specialTokens"/> become variables (e.g. bos_token). Throws
    /// <see cref="ChatTemplateException"/> for a syntax error or a construct outside the supported subset.
    /// </summary>
    public static ChatTemplate Parse(string template, IReadOnlyDictionary<string, string>? specialTokens = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        string normalized = TemplateLexer.Normalize(template);
        var body = TemplateParser.Parse(normalized);
        TemplateValidator.Check(body, normalized);
        var tokens = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (specialTokens is not null)
            foreach (var (k, v) in specialTokens) tokens[k] = v;
        return new ChatTemplate(template, body, tokens);
    }

    /// <summary>
    /// Loads the chat template of a Hugging Face model folder: chat_template.jinja if present, else tokenizer_config.json's
    /// <c>chat_template</c> (a string, or a list of <c>{name, template}</c> of which "default" is used), else
    /// chat_template.json's. Special tokens come from tokenizer_config.json (and special_tokens_map.json). Returns null
    /// when the folder has no template; throws <see cref="ChatTemplateException"/> (one line naming the file) when one is
    /// malformed or unsupported: <c>FILE:LINE:COLUMN: problem</c> for chat_template.jinja, <c>FILE: chat_template line L,
    /// column C: problem</c> for a template inside a JSON file, <c>FILE: empty</c> or <c>FILE: not JSON (line L, column C):
    /// reason</c> for a JSON file that does not parse (<see cref="JsonFile"/>).
    /// </summary>
    public static ChatTemplate? Load(string modelDir)
    {
        string configPath = Path.Combine(modelDir, "tokenizer_config.json");
        JsonElement? config = ReadJson(configPath);
        string? text = null;
        string origin = "";
        string jinjaPath = Path.Combine(modelDir, "chat_template.jinja");
        if (File.Exists(jinjaPath))
        {
            text = Utf8File.ReadAllText(jinjaPath, m => new ChatTemplateException(m));
            origin = jinjaPath;
        }
        else if (config is { } cfg && cfg.TryGetProperty("chat_template", out var ct) && ct.ValueKind != JsonValueKind.Null)
        {
            text = TemplateFromJson(ct, configPath);
            origin = configPath;
        }
        else if (ReadJson(Path.Combine(modelDir, "chat_template.json")) is { } processor
                 && processor.TryGetProperty("chat_template", out var pt) && pt.ValueKind == JsonValueKind.String)
        {
            text = pt.GetString();
            origin = Path.Combine(modelDir, "chat_template.json");
        }
        if (text is null) return null;
        var tokens = ReadSpecialTokens(config, ReadJson(Path.Combine(modelDir, "special_tokens_map.json")));
        try
        {
            var template = Parse(text);
            foreach (var (k, v) in tokens) template._specialTokens[k] = v;
            return template;
        }
        catch (ChatTemplateException e)
        {
            // a .jinja file's lines are the template's: FILE:LINE:COLUMN; a template inside a JSON file keeps its own line and column
            string message = origin == jinjaPath && e.Place is var (line, column)
                ? $"{origin}:{line}:{column}: {TemplateErrors.OneLine(e.Detail)}"
                : $"{origin}: {e.Message}";
            throw new ChatTemplateException(message, e) { Detail = e.Detail, Place = e.Place };
        }
    }

    private static JsonElement? ReadJson(string path)
    {
        if (!File.Exists(path)) return null;
        using var doc = JsonFile.Read(path, m => new ChatTemplateException(m));
        return doc.RootElement.Clone();
    }

    private static string TemplateFromJson(JsonElement ct, string path)
    {
        if (ct.ValueKind == JsonValueKind.String) return ct.GetString()!;
        if (ct.ValueKind == JsonValueKind.Array)
        {
            var names = new List<string>();
            foreach (var entry in ct.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String
                    || !entry.TryGetProperty("template", out var t) || t.ValueKind != JsonValueKind.String)
                    throw new ChatTemplateException($"{path}: chat_template: each entry of the list needs a string 'name' and 'template'");
                if (n.GetString() == "default") return t.GetString()!;
                names.Add(n.GetString()!);
            }
            throw new ChatTemplateException($"{path}: chat_template: the list has no template named 'default' (it has: {string.Join(", ", names)})");
        }
        throw new ChatTemplateException($"{path}: chat_template must be a string or a list of {{name, template}}, not {ct.ValueKind}");
    }

    private static Dictionary<string, object?> ReadSpecialTokens(JsonElement? config, JsonElement? map)
    {
        var tokens = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var source in new[] { map, config })
        {
            if (source is not { ValueKind: JsonValueKind.Object } obj) continue;
            foreach (string key in SpecialTokenKeys)
                if (obj.TryGetProperty(key, out var v) && TokenText(v) is { } text) tokens[key] = text;
            if (obj.TryGetProperty("additional_special_tokens", out var extra) && extra.ValueKind == JsonValueKind.Array)
                tokens["additional_special_tokens"] = extra.EnumerateArray().Select(TokenText).Where(t => t is not null).Cast<object?>().ToList();
        }
        return tokens;
    }

    private static string? TokenText(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Object when v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
        _ => null,
    };

    /// <summary>
    /// Renders a conversation. <paramref name="extra"/> adds or overrides template variables (e.g. <c>tools</c>,
    /// <c>documents</c>, <c>enable_thinking</c>, <c>date_string</c>); values may be .NET primitives, lists,
    /// dictionaries or JSON elements. Throws <see cref="ChatTemplateException"/> (one line) when rendering fails or the
    /// template raises an error about the conversation (e.g. roles that do not alternate).
    /// </summary>
    public string Apply(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? extra = null) =>
        ApplyWithin(messages, addGenerationPrompt, null, extra)!;

    /// <summary>
    /// <see cref="Apply"/>, or null once <paramref name="limit"/> (null: none) says the text rendered so far is past it
    /// (<see cref="RenderLimit.Tokens"/>: more tokens than a model's context), which stops the rendering there: a
    /// conversation of very many messages costs about what the limit needs to see, not its length. A rendering the
    /// limit does not stop gives exactly <see cref="Apply"/>'s text. An error the template would raise further on (roles
    /// that do not alternate) is not reached once it stops.
    /// </summary>
    public string? ApplyWithin(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, RenderLimit? limit,
        IReadOnlyDictionary<string, object?>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return Render(messages.Select(m => TemplateValues.From(m)).ToList(), addGenerationPrompt, extra, limit);
    }

    /// <summary>
    /// Renders a conversation given as a JSON array of message objects (which may carry more than role and content,
    /// e.g. <c>tool_calls</c> or a list-of-parts <c>content</c>), otherwise as <see cref="Apply"/>.
    /// </summary>
    public string ApplyJson(JsonElement messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? extra = null) =>
        ApplyJsonWithin(messages, addGenerationPrompt, null, extra)!;

    /// <summary><see cref="ApplyJson"/>, or null once <paramref name="limit"/> stops the rendering (as <see cref="ApplyWithin"/>).</summary>
    public string? ApplyJsonWithin(JsonElement messages, bool addGenerationPrompt, RenderLimit? limit, IReadOnlyDictionary<string, object?>? extra = null)
    {
        if (messages.ValueKind != JsonValueKind.Array) throw new ChatTemplateException("messages must be a JSON array of message objects");
        return Render(TemplateValues.FromJson(messages), addGenerationPrompt, extra, limit);
    }

    /// <summary>
    /// Characters of output all renderings of this instance wrote (a stopped one: as far as it got), for tests that
    /// count the work a long conversation costs.
    /// </summary>
    internal long RenderedChars => Interlocked.Read(ref _renderedChars);

    private string? Render(object? messages, bool addGenerationPrompt, IReadOnlyDictionary<string, object?>? extra, RenderLimit? limit)
    {
        var root = new Scope(null);
        TemplateGlobals.Install(root, Clock);
        var context = new Scope(root);
        foreach (var (k, v) in _specialTokens) context.Set(k, v);
        context.Set("messages", messages);
        context.Set("tools", null);
        context.Set("documents", null);
        context.Set("add_generation_prompt", addGenerationPrompt);
        if (extra is not null)
        {
            foreach (var (k, v) in extra)
            {
                try
                {
                    context.Set(k, TemplateValues.From(v));
                }
                catch (ArgumentException e)
                {
                    throw new ChatTemplateException($"chat_template variable '{k}': {e.Message}", e);
                }
            }
        }
        var renderer = new TemplateRenderer(limit);
        try
        {
            return renderer.RenderOutput(_body, context);
        }
        catch (RenderStoppedException)
        {
            return null;
        }
        catch (TemplateRuntimeException e)
        {
            throw TemplateErrors.At(_normalized, e.Position, e.Message, e.Raised);
        }
        catch (Exception e) when (e is OverflowException or InvalidCastException or ArgumentException or IndexOutOfRangeException)
        {
            throw new ChatTemplateException($"chat_template: rendering failed ({e.GetType().Name}: {e.Message.Split('\n')[0]})", e);
        }
        finally
        {
            Interlocked.Add(ref _renderedChars, renderer.Written);
        }
    }
}
