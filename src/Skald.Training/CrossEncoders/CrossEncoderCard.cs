using System.Text;
using Skald.Models.CrossEncoders;
using Skald.Training.Trainer;

namespace Skald.Training.CrossEncoders;

/// <summary>
/// The cross-encoder part of a model card (front matter, description, architecture, usage), in the shape
/// sentence-transformers' CrossEncoder trainer writes; the rest of the card is <see cref="Output.ModelCard"/>'s.
/// </summary>
public static class CrossEncoderCard
{
    /// <summary>Writes the card's beginning, up to its Evaluation section.</summary>
    public static void WriteIntro(StringBuilder sb, TrainerSetup setup, CrossEncoderLoss loss, string baseModel, string? name, int rows,
        string lossName, IEnumerable<string> metrics, string? modelIndex = null)
    {
        ArgumentNullException.ThrowIfNull(sb);
        ArgumentNullException.ThrowIfNull(setup);
        ArgumentNullException.ThrowIfNull(loss);
        var encoder = Losses.EmbeddingLoss.AsEncoder(setup.Model);
        var (architecture, _) = Models.Architectures.SequenceClassificationHead.ClassFor(encoder.Config.ModelType);
        bool classifier = loss.Head.NumLabels > 1;
        Output.ModelCard.FrontMatter(sb, baseModel, classifier ? "text-classification" : "text-ranking",
            ["sentence-transformers", "cross-encoder", classifier ? "text-classification" : "reranker"], rows, lossName, metrics, modelIndex);
        sb.AppendLine($"# {name ?? $"CrossEncoder based on {baseModel}"}");
        sb.AppendLine();
        sb.AppendLine($"This is a [Cross Encoder](https://www.sbert.net/docs/cross_encoder/usage/usage.html) model finetuned from `{baseModel}` with " +
                      $"Skald on {rows:N0} training rows. " + (classifier
                          ? $"It classifies a pair of texts into {loss.Head.NumLabels} labels ({string.Join(", ", loss.Settings.Labels)})."
                          : "It computes a score for a pair of texts (a query and a document) and can be used for text reranking and semantic search."));
        sb.AppendLine();
        sb.AppendLine("## Model Details");
        sb.AppendLine();
        sb.AppendLine("### Model Description");
        sb.AppendLine("- **Model Type:** Cross Encoder");
        sb.AppendLine($"- **Base model:** `{baseModel}`");
        sb.AppendLine($"- **Architecture:** {architecture}");
        sb.AppendLine($"- **Maximum Sequence Length:** {encoder.Model.MaxSeqLength} tokens");
        sb.AppendLine(classifier ? $"- **Number of Output Labels:** {loss.Head.NumLabels} labels" : "- **Number of Output Labels:** 1 label");
        sb.AppendLine($"- **Activation:** {CrossEncoderConfig.TorchName(loss.Activation)}");
        sb.AppendLine();
        sb.AppendLine("## Usage");
        sb.AppendLine();
        sb.AppendLine("### Direct Usage (Sentence Transformers)");
        sb.AppendLine();
        sb.AppendLine("```python");
        sb.AppendLine("from sentence_transformers import CrossEncoder");
        sb.AppendLine();
        // GTE's NewModel is custom code (config.json's auto_map): transformers runs it only when told to.
        sb.AppendLine(encoder.Config.Gte is null ? "model = CrossEncoder(\"path/to/this/folder\")"
            : "model = CrossEncoder(\"path/to/this/folder\", trust_remote_code=True)");
        sb.AppendLine(classifier
            ? "scores = model.predict([(\"Det regner i Bergen.\", \"Det er vått i Bergen.\")])"
            : "ranks = model.rank(\"Hvor ligger legekontoret?\", [\"Legekontoret ligger i sentrum.\", \"Bussen går klokka sju.\"])");
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine("### Direct Usage (Skald)");
        sb.AppendLine();
        sb.AppendLine("```csharp");
        sb.AppendLine("var model = Skald.Models.CrossEncoders.CrossEncoder.Load(\"path/to/this/folder\");");
        if (classifier)
        {
            sb.AppendLine("var scores = model.Predict([(\"Det regner i Bergen.\", \"Det er vått i Bergen.\")]); // one logit per label");
            sb.AppendLine("```");
            sb.AppendLine();
            return;
        }
        sb.AppendLine("var ranked = model.Rank(\"Hvor ligger legekontoret?\", [\"Legekontoret ligger i sentrum.\", \"Bussen går klokka sju.\"]);");
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine("```sh");
        sb.AppendLine("skald rerank --model path/to/this/folder --query \"Hvor ligger legekontoret?\" --documents docs.txt");
        sb.AppendLine("```");
        sb.AppendLine();
    }
}
