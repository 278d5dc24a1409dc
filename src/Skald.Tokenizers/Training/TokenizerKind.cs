namespace Skald.Tokenizers.Training;

/// <summary>The kind of tokenizer to train.</summary>
public enum TokenizerKind
{
    /// <summary>BERT-style WordPiece (BertNormalizer, BertPreTokenizer, [CLS] A [SEP]).</summary>
    WordPiece,
    /// <summary>Byte-level BPE (RoBERTa-style: ByteLevel pre-tokenizer and decoder, &lt;s&gt; A &lt;/s&gt;).</summary>
    Bpe,
    /// <summary>SentencePiece-style Unigram (NFKC, Metaspace, &lt;s&gt; A &lt;/s&gt;).</summary>
    Unigram,
}
