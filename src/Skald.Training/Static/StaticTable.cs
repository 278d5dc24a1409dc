namespace Skald.Training.Static;

/// <summary>
/// A static model's token table before it is saved: <see cref="Values"/> [<see cref="VocabSize"/>, <see cref="Dimension"/>]
/// over the tokenizer in <see cref="TokenizerJson"/> (what <see cref="StaticDistiller"/> makes).
/// </summary>
/// <param name="Values">Row i is token i's vector.</param>
/// <param name="VocabSize">Rows.</param>
/// <param name="Dimension">Columns.</param>
/// <param name="TokenizerJson">The tokenizer.json text.</param>
public sealed record StaticTable(float[] Values, int VocabSize, int Dimension, string TokenizerJson)
{
    /// <summary>Writes the sentence-transformers folder (<see cref="StaticModelWriter"/>).</summary>
    public void Save(string dir, bool normalize = false, string? modelCard = null) =>
        StaticModelWriter.Save(dir, TokenizerJson, Values, Dimension, normalize, modelCard);
}
