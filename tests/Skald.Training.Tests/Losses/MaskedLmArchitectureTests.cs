using System.Text.Json.Nodes;
using Skald.Models;
using Skald.Training.Config;
using Skald.Training.Losses;
using Skald.Training.Modeling;
using Skald.Training.Trainer;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// Masked-LM on every architecture with a *ForMaskedLM head (<see cref="MaskedLmArchitectures"/>, one row each): the
/// head read from the checkpoint (its parameters, the decoder tied to the word embeddings, the mask id) with logits,
/// loss and sampled gradients against the PyTorch reference for a fixed masking (fixtures/training/*_mlm.json,
/// make_mlm.py; ModernBERT's logits from make_modernbert.py), gradients against central differences, a `skald train`
/// run saved in the class's layout that loads again and continues from its head, a folder without the head getting
/// the class's initialisation, and (where the row says) a SPLADE run whose sparse encoder loads back with that head.
/// What one architecture alone has is in its own class (GteMaskedLmTests, NorbertMaskedLmTests, GptBertMaskedLmTests).
/// </summary>
public sealed class MaskedLmArchitectureTests
{
    /// <summary>Every architecture's name.</summary>
    public static TheoryData<string> Architectures() => [.. MaskedLmArchitectures.Rows.Select(a => a.Name)];

    /// <summary>The architectures with a SPLADE run.</summary>
    public static TheoryData<string> SparseArchitectures() => [.. MaskedLmArchitectures.Rows.Where(a => a.SparseDimension is not null).Select(a => a.Name)];

    [Theory]
    [MemberData(nameof(Architectures))]
    public void HeadIsReadFromTheCheckpointAndMatchesPyTorch(string name)
    {
        var a = MaskedLmArchitecture.Of(name);
        var model = TrainableEncoder.Load(a.Path, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(model);
        var head = mlm.Head;
        Assert.IsType(a.Head, head);
        Assert.Equal(a.HeadParameters, head.Parameters.Select(p => p.Name));
        Assert.Same(model.Parameters.Single(p => p.Name == a.Decoder), head.Decoder);
        Assert.Equal(a.Layout, head.Layout);
        Assert.True(head.FromCheckpoint);
        Assert.Equal(a.ExcludedIds, head.ExcludedIds);
        Assert.Equal(a.PredictsNextToken, head.PredictsNextToken);
        Assert.Equal(a.MaskId ?? model.Tokenizer.TokenToId(a.MaskToken!), mlm.MaskId);
        Assert.Equal(MaskedLmReference.Tensors(a.Path)[a.StoredParameter], head.Parameters.Single(p => p.Name == a.StoredParameter).Data.ToArray());
        MaskedLmReference.MatchesPyTorch(model, mlm, a.Reference, a.Bound, a.LogitsOnly);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void GradientsMatchFiniteDifferences(string name)
    {
        var a = MaskedLmArchitecture.Of(name);
        var encoder = TrainableEncoder.Load(a.Path, dropout: 0f);
        var mlm = new MaskedLanguageModelingLoss(encoder, maskProbability: a.MaskProbability, seed: 5);
        MaskedLmReference.MatchesFiniteDifferences(encoder, mlm, a.GradientChecks);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void SkaldTrainSavesTheMaskedLmLayoutAndContinuesFromItsHead(string name)
    {
        var a = MaskedLmArchitecture.Of(name);
        string dir = MaskedLmReference.TempDir();
        string saved = MaskedLmReference.Train(a.Path, dir, "out", 4);
        var tensors = MaskedLmReference.Tensors(saved);
        foreach (var k in a.SavedKeys) Assert.Contains(k, tensors.Keys);
        if (a.TiedKey is { } tied) Assert.DoesNotContain(tensors.Keys, k => k.StartsWith(tied, StringComparison.Ordinal));
        Assert.All(tensors.Keys, k => Assert.True(a.SavedPrefixes.Any(p => Saves(p, k)), $"{k} is none of {string.Join(", ", a.SavedPrefixes)}"));
        Assert.Equal(a.ClassName, MaskedLmReference.Architecture(saved));
        var source = MaskedLmReference.Tensors(a.Path);
        Assert.NotEqual(source[a.HeadWeight], tensors[a.HeadWeight]); // the head was trained
        if (a.TiedCopy is var (copy, of))
        {
            Assert.Equal(tensors[of], tensors[copy]); // the tied copy, trained
            Assert.NotEqual(source[of], tensors[copy]);
        }
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(saved, "config.json")))!;
        foreach (var (key, value) in a.AutoMap) Assert.Equal(value, (string?)config["auto_map"]![key]);
        foreach (var file in a.SavedFiles) Assert.True(File.Exists(Path.Combine(saved, file)), $"{file} not saved");

        var again = TrainableEncoder.Load(saved);
        Assert.IsType(a.Transformer, again.Model.Transformer);
        var mlm = new MaskedLanguageModelingLoss(again);
        Assert.Same(again.Parameters.Single(p => p.Name == a.Decoder), mlm.Head.Decoder);
        var head = mlm.Parameters.ToDictionary(p => p.Name);
        Assert.Equal(tensors[a.HeadWeight], head[a.HeadWeight].Data.ToArray());
        Assert.Equal(tensors[a.HeadBias], head[a.HeadBias].Data.ToArray());
        Assert.Equal(tensors[a.EncoderWeight.Saved], again.Parameters.Single(p => p.Name == a.EncoderWeight.Loaded).Data.ToArray());

        string continued = MaskedLmReference.Train(saved, dir, "again", 2);
        Assert.NotEqual(tensors[a.HeadBias], MaskedLmReference.Tensors(continued)[a.HeadBias]);
    }

    [Theory]
    [MemberData(nameof(Architectures))]
    public void AFolderWithoutTheHeadGetsTheClassesInitialisation(string name)
    {
        var a = MaskedLmArchitecture.Of(name);
        string folder = a.BareFolder is { } bare ? Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", bare)
            : MaskedLmReference.Rewrite(a.Path, MaskedLmReference.TempDir(), (k, v) => k.StartsWith(a.DroppedPrefix!, StringComparison.Ordinal) ? null : v);
        var model = TrainableEncoder.Load(folder, dropout: 0f);
        var loss = new MaskedLanguageModelingLoss(model, seed: 3);
        Assert.False(loss.Head.FromCheckpoint);
        Assert.Equal(a.BareHeadParameters ?? a.HeadParameters, loss.Head.Parameters.Select(p => p.Name));
        Assert.Same(model.Parameters.Single(p => p.Name == a.Decoder), loss.Head.Decoder);
        var head = loss.Head.Parameters.ToDictionary(p => p.Name);
        var weight = head[a.HeadWeight].Data.ToArray();
        if (a.BareWeightBound is { } bound) Assert.All(weight, x => Assert.True(Math.Abs(x) <= bound, $"{x} beyond ±{bound}"));
        if (a.BareWeightRms is var (low, high)) Assert.InRange(Math.Sqrt(weight.Select(x => (double)x * x).Average()), low, high);
        foreach (var one in a.BareOnes) Assert.All(head[one].Data.ToArray(), x => Assert.Equal(1f, x));
        foreach (var zero in a.BareZeros) Assert.All(head[zero].Data.ToArray(), x => Assert.Equal(0f, x));
    }

    [Theory]
    [MemberData(nameof(SparseArchitectures))]
    public void TrainsIntoASparseEncoderThatLoadsBack(string name)
    {
        var a = MaskedLmArchitecture.Of(name);
        string dir = MaskedLmReference.TempDir();
        string data = Path.Combine(dir, "triplets.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 12).Select(i =>
            $"{{\"anchor\": \"Hvor ligger hus nummer {i}?\", \"positive\": \"Hus {i} ligger ved sjøen.\", \"negative\": \"Bussen går klokka {i % 7}.\"}}"));
        var config = ConfigLoader.Parse($$"""
            model: {path: {{a.Path}}, type: splade, dropout: 0.0}
            data: {train: {{data}}}
            training: {batch_size: 4, learning_rate: 1.0e-3, max_steps: 3}
            loss: {type: splade, document_regularizer_weight: 0.03, query_regularizer_weight: 0.05}
            output: {dir: {{Path.Combine(dir, "splade")}}, tensorboard: false}
            """, "splade.yaml");
        var result = new SentenceTrainer(TrainingRun.Build(config)).Run();
        Assert.Equal(3, result.Steps);

        var model = SentenceEncoder.Load(result.ModelPath);
        Assert.True(model.IsSparse);
        Assert.IsType(a.Head, model.SpladeHead);
        Assert.True(model.SpladeHead!.FromCheckpoint);
        Assert.Equal(a.SparseDimension, model.Dimension);
        Assert.Equal(a.ClassName, MaskedLmReference.Architecture(result.ModelPath));
        var tensors = MaskedLmReference.Tensors(result.ModelPath);
        foreach (var k in a.SavedKeys) Assert.Contains(k, tensors.Keys);
        var rows = model.Encode(["Hvor ligger huset?", "Bussen går klokka sju."]);
        Assert.All(rows, r => Assert.All(r, x => Assert.True(x >= 0f)));   // log(1 + relu(·)), max-pooled
        Assert.All(rows, r => Assert.Contains(r, x => x > 0f));
    }

    // Whether `prefix` covers saved key `key`: a prefix ends in '.' or '_'; anything else names one whole key.
    private static bool Saves(string prefix, string key) =>
        prefix.EndsWith('.') || prefix.EndsWith('_') ? key.StartsWith(prefix, StringComparison.Ordinal) : key == prefix;
}
