using System.Text.Json.Nodes;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.Modules;
using Skald.Tensors;
using Skald.Tokenizers;

namespace Skald.Models.LateInteraction;

/// <summary>
/// A ColBERT's prefix tokens (<c>[Q] </c>, <c>[D] </c>) added to a base model whose tokenizer lacks them, as PyLate's
/// <c>ColBERT.__init__</c> does when it makes a ColBERT of an encoder: <c>resize_token_embeddings(len(tokenizer))</c>,
/// <c>tokenizer.add_tokens(prefixes)</c> (ordinary tokens, not special), <c>resize_token_embeddings(len(tokenizer))</c>
/// again, each resize transformers' mean resizing (<see cref="EmbeddingResize"/>). Skald does it on the files: the base
/// folder is copied with the tokens in its tokenizer files (<see cref="AddedTokenFiles"/>), the word embedding table
/// grown to the new tokenizer length, and config.json's vocab_size set to it; the copy then loads as any base.
/// </summary>
/// <remarks>
/// Upstream: https://github.com/lightonai/pylate/blob/1f1f47cee5df35ebe6fd2286a0a205a1523e4119/pylate/models/colbert.py
/// (ColBERT.__init__, "Try adding the prefixes to the tokenizer"). A pre-training head over the old vocabulary (a tied
/// decoder, its bias) is left out of the copy: PyLate's AutoModel has none and saves none.
/// </remarks>
internal static class PrefixTokens
{
    /// <summary>The prefixes of <paramref name="settings"/> (query first, each once, "" skipped) that <paramref name="tokenizer"/> has no token for.</summary>
    public static IReadOnlyList<string> Missing(Tokenizer tokenizer, ColbertSettings settings)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(settings);
        return [.. new[] { settings.QueryPrefix, settings.DocumentPrefix }.Where(p => p.Length > 0 && tokenizer.TokenToId(p) is null).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Writes <paramref name="source"/> (a local model folder) into <paramref name="target"/> (replaced; written under a
    /// temporary name and renamed into place) with <paramref name="tokens"/> added to its tokenizer and embedding table,
    /// the new rows drawn from <paramref name="seed"/>. Returns each token's id.
    /// </summary>
    public static IReadOnlyList<(string Content, int Id)> WriteBase(string source, string target, IReadOnlyList<string> tokens, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(tokens);
        var folder = ModelFolder.Read(source);
        var tokenizer = folder.LoadTokenizer();
        int before = tokenizer.VocabSize;
        var added = tokens.Select((t, i) => (t, tokenizer.IdBound + i)).ToList();
        int after = before + added.Count;
        string stage = target + ".partial";
        if (Directory.Exists(stage)) Directory.Delete(stage, recursive: true);
        string relative = Path.GetRelativePath(folder.Path, folder.TransformerPath);
        CopyTree(folder.Path, stage, skip: file => Path.GetRelativePath(folder.Path, Path.GetDirectoryName(file)!) == relative
            && (Checkpoint.IsWeightsFile(Path.GetFileName(file)) || AddedTokenFiles.FileNames.Contains(Path.GetFileName(file)) || Path.GetFileName(file) == "config.json"));
        string transformerStage = Path.GetFullPath(Path.Combine(stage, relative));
        AddedTokenFiles.Write(folder.TransformerPath, transformerStage, added);
        var check = Tokenizer.FromFolder(transformerStage);
        foreach (var (content, id) in added)
        {
            if (check.TokenToId(content) != id)
                throw new ModelFormatException($"{folder.TransformerPath}: the token \"{content}\" added to tokenizer.json does not read back as id {id}");
        }
        WriteWeights(folder.TransformerPath, transformerStage, before, after, seed);
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        Directory.Move(stage, target);
        return added;
    }

    // config.json with vocab_size = after, and the weights with the word embeddings resized as PyLate's two calls do.
    private static void WriteWeights(string source, string stage, int before, int after, ulong seed)
    {
        string configFile = Path.Combine(source, "config.json");
        var config = TransformerConfig.Load(configFile);
        int rows = config.VocabSize, width = config.HiddenSize;
        var json = Modules.JsonFiles.ReadNodeObject(configFile);
        if (json["vocab_size"] is null) throw new ModelFormatException($"{configFile}: key \"vocab_size\" not found; Skald adds prefix tokens to an encoder whose config names it");
        json["vocab_size"] = after;
        var tensors = new List<TensorToWrite>();
        using (var weights = Checkpoint.OpenFolder(source, [.. ArchitectureRegistry.KeyPrefixes(config)]))
        {
            var table = weights.Keys.Where(k => k.Contains("embed", StringComparison.Ordinal) && weights.Shape(k) is [var r, var c] && r == rows && c == width).ToList();
            if (table.Count != 1)
                throw new ModelFormatException($"{source}: cannot tell the word embedding table among the weights ({(table.Count == 0 ? "none" : string.Join(", ", table))} " +
                    $"of [{rows}, {width}]); set model.query_prefix / model.document_prefix to tokens the vocabulary has");
            foreach (string key in weights.Keys.Order(StringComparer.Ordinal))
            {
                var shape = weights.Shape(key);
                if (key != table[0] && shape.Contains(rows)) continue; // a head over the old vocabulary
                float[] values;
                try
                {
                    values = weights.Read(key, shape);
                }
                catch (ModelFormatException)
                {
                    continue; // integer buffers (position_ids) are not weights; transformers rebuilds them
                }
                if (key == table[0])
                {
                    var random = new SkaldRandom(seed);
                    values = EmbeddingResize.Resize(values, rows, width, before, random);
                    values = EmbeddingResize.Resize(values, before, width, after, random);
                    shape = [after, width];
                }
                tensors.Add(new TensorToWrite(key, shape, values));
            }
        }
        SafeTensorsWriter.Write(Path.Combine(stage, "model.safetensors"), tensors);
        File.WriteAllText(Path.Combine(stage, "config.json"), json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    private static void CopyTree(string from, string to, Func<string, bool> skip)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(from, file);
            if (rel.Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.')) || skip(file)) continue;
            string dest = Path.Combine(to, rel);
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(file, dest);
        }
    }
}
