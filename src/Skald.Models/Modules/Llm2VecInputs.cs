using Skald.Models.Architectures;
using Skald.Tokenizers;

namespace Skald.Models.Modules;

/// <summary>
/// LLM2Vec's input side, step for step as <c>LLM2Vec.encode</c> runs it: every input is an (instruction, text) pair
/// (a plain text has the instruction ""); <see cref="Join"/> (<c>_convert_to_str</c>) cuts the text to doc_max_length
/// tokens and writes <c>"{instruction.strip()} !@#$%^&amp;*(){text}"</c>; <see cref="Template"/>
/// (<c>prepare_for_tokenization</c>) wraps it in the base model's chat template and appends the EOS text for
/// eos_token pooling; <see cref="Split"/> and <see cref="Tokenize"/> (<c>tokenize</c>) tokenize the whole string
/// without the separator and count the tokens of the part after it, whose positions — the last ones of the row —
/// form the embed mask (<see cref="EmbedMask"/>): the instruction is attended to but not pooled.
/// </summary>
/// <remarks>Upstream: https://github.com/McGill-NLP/llm2vec/blob/312adcfb578b4023bfc9d3bcc83b6b87448ab059/llm2vec/llm2vec.py (tag 0.2.3)</remarks>
public static class Llm2VecInputs
{
    /// <summary>LLM2Vec's instruction/text separator.</summary>
    public const string Separator = "!@#$%^&*()";

    /// <summary>
    /// <c>_convert_to_str(instruction, text)</c>: while the text has more than doc_max_length tokens (no special tokens,
    /// truncated to <paramref name="maxLength"/>), keep the first int(words · doc_max_length / tokens) of its
    /// whitespace-separated words; then instruction (stripped) + " " + separator + text, or separator + text when the
    /// instruction is empty.
    /// </summary>
    public static string Join(string? instruction, string text, Tokenizer tokenizer, Llm2VecConfig config, int maxLength)
    {
        int length = tokenizer.Encode(text, false, maxLength).Length;
        while (length > config.DocMaxLength)
        {
            double ratio = (double)config.DocMaxLength / length;
            var words = PythonSplit(text);
            int keep = (int)(words.Length * ratio);
            text = string.Join(' ', words[..keep]);
            length = tokenizer.Encode(text, false, maxLength).Length;
        }
        return string.IsNullOrEmpty(instruction) ? Separator + text : $"{PythonStrip(instruction)} {Separator}{text}";
    }

    /// <summary>
    /// <c>prepare_for_tokenization</c>: the chat template of the base model LLM2Vec knows by name (config.json's
    /// _name_or_path: Meta-Llama-3-8B-Instruct, Mistral-7B-Instruct-v0.2, Llama-2-7b-chat-hf, gemma-2-9b-it,
    /// Qwen2-1.5B/7B-Instruct), then for eos_token pooling the EOS text of the architecture (Meta-Llama-3-8B
    /// <c>&lt;|end_of_text|&gt;</c>, llama/mistral <c>" &lt;/s&gt;"</c>, gemma <c>&lt;eos&gt;</c>, qwen2
    /// <c>&lt;|endoftext|&gt;</c>). Meta-Llama-3-8B-Instruct's template returns at once (no EOS text).
    /// </summary>
    public static string Template(string text, Llm2VecConfig config)
    {
        string name = config.BaseModelName;
        if (name == "meta-llama/Meta-Llama-3-8B-Instruct")
            return "<|start_header_id|>user<|end_header_id|>\n\n" + PythonStrip(text) + "<|eot_id|>";
        if (name is "mistralai/Mistral-7B-Instruct-v0.2" or "meta-llama/Llama-2-7b-chat-hf")
            text = "[INST] " + PythonStrip(text) + " [/INST]";
        if (name is "google/gemma-2-9b-it")
            text = "<bos><start_of_turn>user\n" + PythonStrip(text) + "<end_of_turn>";
        if (name is "Qwen/Qwen2-1.5B-Instruct" or "Qwen/Qwen2-7B-Instruct")
            text = "<|im_start|>user\n" + PythonStrip(text) + "<|im_end|>";
        if (config.PoolingModeName == "eos_token")
        {
            if (name == "meta-llama/Meta-Llama-3-8B") text = PythonStrip(text) + "<|end_of_text|>";
            else if (config.ModelType is "llama" or "mistral") text = PythonStrip(text) + " </s>";
            else if (config.ModelType is "gemma") text = PythonStrip(text) + "<eos>";
            else if (config.ModelType is "qwen2") text = PythonStrip(text) + "<|endoftext|>";
        }
        return text;
    }

    /// <summary>
    /// <c>tokenize</c>'s split: the text without separators (what the model reads) and the part after the first
    /// separator ("" when there is none: nothing to pool when skip_instruction).
    /// </summary>
    public static (string Whole, string Embedded) Split(string text)
    {
        var parts = text.Split(Separator);
        return (string.Concat(parts), parts.Length > 1 ? parts[1] : "");
    }

    /// <summary>
    /// Token ids of every (instruction, text) input as LLM2Vec feeds them (special tokens added, truncated to
    /// <paramref name="maxLength"/>) and, when skip_instruction, how many of each row's last tokens are pooled (the
    /// token count of the part after the separator, tokenized alone without special tokens); null counts otherwise.
    /// </summary>
    public static (IReadOnlyList<Encoding> Encodings, int[]? EmbedCounts) Tokenize(Tokenizer tokenizer, Llm2VecConfig config,
        string? instruction, IReadOnlyList<string> texts, int maxLength)
    {
        var whole = new string[texts.Count];
        var embedded = new string[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            string joined = Join(instruction, texts[i] ?? throw new ArgumentException($"text {i} is null", nameof(texts)), tokenizer, config, maxLength);
            (whole[i], embedded[i]) = Split(Template(joined, config));
        }
        var encodings = tokenizer.EncodeBatch(whole, true, maxLength);
        if (!config.SkipInstruction) return (encodings, null);
        var counts = tokenizer.EncodeBatch(embedded, false, maxLength).Select(e => e.Length).ToArray();
        return (encodings, counts);
    }

    /// <summary>
    /// The embed mask [B, T] of a padded batch: 1 on the last <c>counts[b]</c> real tokens of row b, on either padding
    /// side (LLM2Vec sets the last counts[b] positions of its left-padded rows).
    /// </summary>
    public static int[] EmbedMask(TokenBatch tokens, ReadOnlySpan<int> counts)
    {
        if (counts.Length != tokens.Batch) throw new ArgumentException("one count per row", nameof(counts));
        var mask = new int[tokens.Count];
        for (int b = 0; b < tokens.Batch; b++)
        {
            int left = counts[b];
            for (int t = tokens.Seq - 1; t >= 0 && left > 0; t--)
            {
                int i = b * tokens.Seq + t;
                if (tokens.Mask[i] == 0) continue;
                mask[i] = 1;
                left--;
            }
        }
        return mask;
    }

    /// <summary>Python's str.strip(): white space (str.isspace) off both ends.</summary>
    private static string PythonStrip(string s) => s.Trim(ModelFolder.PythonWhiteSpace);

    /// <summary>Python's str.split() without arguments: runs of white space separate, empty words dropped.</summary>
    private static string[] PythonSplit(string s) => s.Split(ModelFolder.PythonWhiteSpace, StringSplitOptions.RemoveEmptyEntries);
}
