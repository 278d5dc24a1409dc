using Skald.Models.Modules;
using Skald.Tokenizers;

namespace Skald.Models;

/// <summary>What a <see cref="SentenceEncoder"/> makes of texts before the transformer: prompts, instructions, routes and tokens.</summary>
public sealed partial class SentenceEncoder
{
    /// <summary>
    /// The token ids the model sees for each text: prompt prepended, text stripped (and lower-cased when the model
    /// says so), special tokens added, truncated to the maximum length — as sentence-transformers' tokenize does; for
    /// an LLM2Vec folder, the instruction and text joined, templated and tokenized as LLM2Vec's encode does.
    /// </summary>
    public IReadOnlyList<Encoding> Tokenize(IReadOnlyList<string> texts, EncodeOptions? options = null) =>
        Prepare(texts, options).Encodings;

    /// <summary>
    /// The texts as this model takes them (<see cref="Tokenize"/>), with the prompt length pooling leaves out and, for an
    /// LLM2Vec model, how many of each text's tokens are pooled.
    /// </summary>
    /// <remarks>
    /// Throws <see cref="ArgumentNullException"/> for null <paramref name="texts"/>, <see cref="ArgumentException"/>
    /// naming <paramref name="texts"/> for a null text in it, <see cref="ArgumentOutOfRangeException"/> naming
    /// <paramref name="options"/> for a <see cref="EncodeOptions.MaxLength"/> below 1, and <see cref="ModelFormatException"/>
    /// for a prompt name, instruction or route the model does not have, each before any text is tokenized.
    /// </remarks>
    public ModelInputs Prepare(IReadOnlyList<string> texts, EncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ThrowIfDisposed();
        options ??= new EncodeOptions();
        if (options.MaxLength is < 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"MaxLength must be at least 1 token, got {options.MaxLength}");
        for (int i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null) throw new ArgumentException($"text {i} is null", nameof(texts));
        }
        int maxLength = Math.Min(options.MaxLength ?? MaxSeqLength, Transformer.MaxSequenceLength);
        bool query = IsQueryRoute(options); // (a route the model lacks is refused before any text is tokenized)
        if (Folder.Llm2Vec is { } llm2vec)
        {
            if (!string.IsNullOrEmpty(options.Prompt) || options.PromptName is not null)
                throw new ModelFormatException(
                    $"{Folder.Path}: an LLM2Vec model ({Llm2VecConfig.FileName}) takes an instruction (EncodeOptions.Instruction, --instruction), not a prompt");
            Interlocked.Increment(ref tokenizations);
            var (llmEncodings, counts) = Llm2VecInputs.Tokenize(Tokenizer, llm2vec, options.Instruction, texts, maxLength);
            return new ModelInputs(llmEncodings, 0, counts, query);
        }
        if (options.Instruction is not null)
            throw new ModelFormatException(
                $"{Folder.Path}: instructions are for LLM2Vec models ({Llm2VecConfig.FileName}); give a sentence-transformers model a prompt (EncodeOptions.Prompt, --prompt)");
        string? prompt = ResolvePrompt(options);
        Interlocked.Increment(ref tokenizations);
        if (StaticQuery is { } sparseQuery && query) // as SparseStaticEmbedding tokenizes: the text as it is
            return new ModelInputs(sparseQuery.Tokenize([.. texts.Select(t => (prompt ?? "") + t)]), 0, null, true);
        var prepared = new string[texts.Count];
        var fromStart = new Encoding?[texts.Count];
        int startChars = Math.Max(LongTextStart, maxLength * 128);
        for (int i = 0; i < texts.Count; i++)
        {
            string text = texts[i];
            // A long text is stripped and lower-cased only as far as its kept tokens can reach, when its start shows them.
            if (!Folder.IsModel2Vec && maxLength > 0 && text.Length > startChars && Folder.PrepareStart(prompt ?? "", text, startChars) is { } start
                && Tokenizer.TryEncodeStart(start, maxLength, out var early, !Folder.IsStatic))
            {
                fromStart[i] = early;
                prepared[i] = "";
                continue;
            }
            prepared[i] = Folder.PrepareText((prompt ?? "") + text);
        }
        // With include_prompt = false the prompt's tokens (and a leading special token) leave the pooling mask;
        // sentence-transformers' _get_prompt_length counts the prompt's encoding, less its last token when that is a
        // special token (a BERT [SEP], Qwen3-Embedding's <|endoftext|>; a Llama tokenizer adds none at the end).
        // An empty prompt is no prompt (sentence-transformers: "if prompt is not None and len(prompt) > 0"; its training
        // collator: "if prompt:"), so it leaves no leading special token out either.
        int promptLength = 0;
        if (!string.IsNullOrEmpty(prompt) && !Pooling.IncludePrompt)
        {
            var p = Tokenizer.Encode(Folder.PrepareText(prompt), true, maxLength);
            promptLength = p.Length - (p.Length > 0 && p.SpecialTokensMask[^1] == 1 ? 1 : 0);
        }
        // StaticEmbedding tokenizes the raw text without special tokens (sentence-transformers' StaticEmbedding.tokenize);
        // a Model2Vec folder as model2vec's StaticModel.tokenize does (unknown tokens dropped).
        var encodings = Folder.IsModel2Vec ? Model2VecInputs.Tokenize(Tokenizer, prepared, maxLength)
            : Tokenizer.EncodeBatch(prepared, !Folder.IsStatic, maxLength);
        if (fromStart.Any(e => e is not null)) encodings = [.. encodings.Select((e, i) => fromStart[i] ?? e)];
        return new ModelInputs(encodings, promptLength, null, query) { MaxActiveDims = options.MaxActiveDims };
    }

    private int tokenizations;

    /// <summary>For tests: how many times texts were tokenized (<see cref="Prepare"/> calls past their checks).</summary>
    internal int Tokenizations => Volatile.Read(ref tokenizations);

    /// <summary>Texts longer than this (and than 128 characters per kept token) are prepared from their start (<see cref="ModelFolder.PrepareStart"/>).</summary>
    private const int LongTextStart = 1 << 16;

    /// <summary>Whether <paramref name="options"/> put texts on the query route (a Router folder's default_route when it names none).</summary>
    private bool IsQueryRoute(EncodeOptions options)
    {
        string? route = options.Route ?? Folder.DefaultRoute;
        if (Folder.DefaultRoute is null || route is null) return false;
        return route switch
        {
            "query" => true,
            "document" => false,
            _ => throw new ModelFormatException($"{Folder.Path}: no route \"{route}\" (the Router has \"query\" and \"document\")"),
        };
    }

    private string? ResolvePrompt(EncodeOptions options)
    {
        if (options.Prompt is not null) return options.Prompt;
        string? name = options.PromptName ?? Folder.DefaultPromptName;
        if (name is null) return null;
        if (!Folder.Prompts.TryGetValue(name, out var p))
        {
            string known = Folder.Prompts.Count == 0 ? "the model defines no prompts" : "known: " + string.Join(", ", Folder.Prompts.Keys);
            throw new ModelFormatException($"{Folder.Path}: no prompt named \"{name}\" ({known})");
        }
        return p;
    }
}
