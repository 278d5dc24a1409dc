using Skald.Training.Config;
using Skald.Training.Output;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Output;

/// <summary>
/// The card's "Full Model Architecture" is <c>str(model)</c> as sentence-transformers prints it (each module's repr of
/// its config dict: models/Transformer.py, Pooling.py, Dense.py at 85ec6455), where the card printed
/// <c>Transformer()</c> without the length texts are cut at, and its hyperparameters list the scheduler's kwargs and
/// the settings that differ from TrainingArguments' defaults, as ModelCardCallback does.
/// </summary>
public sealed class CardArchitectureTests
{
    private readonly string dir = InfraPaths.NewTempDir();

    private string Card(string model, string training)
    {
        string data = InfraPaths.WriteFile(dir, "pairs.jsonl", string.Concat(Enumerable.Range(0, 8).Select(i =>
            $"{{\"anchor\": \"Når går ferja {i}?\", \"positive\": \"Ferje {i} går klokka åtte.\"}}\n")));
        var config = ConfigLoader.Parse($$"""
            model: {{model}}
            data: {train: {{data}}}
            training: {{training}}
            output: {dir: {{Path.Combine(dir, "out")}}}
            """, "c.yaml");
        return ModelCard.Build(TrainingRun.Build(config), [], new Dictionary<string, double>(), new TrainerState(), 3);
    }

    [Fact]
    public void TheArchitectureIsSentenceTransformersReprWithTheLength()
    {
        string card = Card($"{{path: {InfraPaths.FixtureModel("bert-cased-mean")}, max_seq_length: 16}}", "{batch_size: 4, max_steps: 3}");
        Assert.Contains("""
            SentenceTransformer(
              (0): Transformer({'max_seq_length': 16, 'do_lower_case': False, 'architecture': 'BertModel'})
              (1): Pooling({'word_embedding_dimension': 32, 'pooling_mode_cls_token': False, 'pooling_mode_mean_tokens': True, 'pooling_mode_max_tokens': False, 'pooling_mode_mean_sqrt_len_tokens': False, 'pooling_mode_weightedmean_tokens': False, 'pooling_mode_lasttoken': False, 'include_prompt': True})
              (2): Normalize()
            )
            """, card.Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    [Fact]
    public void ADenseModuleIsPrintedWithItsConfig()
    {
        string card = Card($"{{path: {InfraPaths.FixtureModel("distiluse-tiny")}}}", "{batch_size: 4, max_steps: 3}");
        Assert.Contains("(0): Transformer({'max_seq_length': ", card);
        Assert.Contains("'architecture': 'DistilBertModel'})", card);
        Assert.Contains("(2): Dense({'in_features': 32, 'out_features': 24, 'bias': True, 'activation_function': 'torch.nn.modules.activation.Tanh'})", card);
    }

    [Fact]
    public void TheSchedulersKwargsAndTheNonDefaultSettingsAreListed()
    {
        string card = Card($"{{path: {InfraPaths.FixtureModel("bert-cased-mean")}}}",
            "{batch_size: 4, max_steps: 3, learning_rate: 1.0e-3, scheduler: polynomial, scheduler_kwargs: {power: 2.0}}");
        int nonDefault = card.IndexOf("#### Non-Default Hyperparameters\n", StringComparison.Ordinal);
        int all = card.IndexOf("#### All Hyperparameters\n", StringComparison.Ordinal);
        Assert.True(nonDefault > 0 && all > nonDefault, card);
        string changed = card[nonDefault..all];
        foreach (string line in new[] { "- `per_device_train_batch_size`: 4\n", "- `learning_rate`: 0.001\n", "- `max_steps`: 3\n",
                     "- `lr_scheduler_type`: polynomial\n", "- `lr_scheduler_kwargs`: {'lr_end': 1e-07, 'power': 2.0}\n", "- `weight_decay`: 0.01\n" })
            Assert.Contains(line, changed);
        Assert.DoesNotContain("`seed`", changed); // 42, TrainingArguments' default
        Assert.Contains("- `seed`: 42\n", card[all..]);
        Assert.Contains("- `adam_epsilon`: 1e-08\n", card[all..]);
    }
}
