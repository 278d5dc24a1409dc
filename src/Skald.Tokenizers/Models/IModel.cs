using Skald.Tokenizers.Core;

namespace Skald.Tokenizers.Models;

/// <summary>A tokenization model (HF's Model): turns one pre-tokenized piece into tokens.</summary>
internal interface IModel
{
    /// <summary>"WordPiece", "Unigram", ...</summary>
    string Kind { get; }

    /// <summary>Number of entries in the model's vocabulary.</summary>
    int VocabSize { get; }

    /// <summary>One more than the largest id of the vocabulary (ids may leave gaps).</summary>
    int IdBound { get; }

    /// <summary>Tokens of <paramref name="text"/>; offsets are UTF-16 units within it.</summary>
    void Tokenize(ReadOnlySpan<char> text, List<Token> output);

    /// <summary>Vocabulary id of <paramref name="token"/>.</summary>
    int? TokenToId(string token);

    /// <summary>Token of <paramref name="id"/>.</summary>
    string? IdToToken(int id);

    /// <summary>The model's unknown token (HF's <c>model.unk_token</c>: WordPiece, BPE when set, WordLevel), or null (Unigram, which has an unk id but no unk_token).</summary>
    string? UnkToken { get; }
}
