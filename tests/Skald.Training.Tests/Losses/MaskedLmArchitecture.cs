using Skald.Models.MaskedLm;

namespace Skald.Training.Tests.Losses;

/// <summary>
/// One architecture's row of <see cref="MaskedLmArchitectureTests"/>: its tiny checkpoint with the *ForMaskedLM head,
/// what that head holds, its PyTorch reference, the parameters checked by central differences, what a `skald train`
/// run saves, and the initialisation of a head made for a folder without one. Adding an architecture to the masked-LM
/// tests is one row of <see cref="All"/>; what only one architecture has stays in its own test class.
/// </summary>
internal sealed record MaskedLmArchitecture(string Name, string Folder)
{
    /// <summary>The *ForMaskedLM class: config.json's architectures of a saved run.</summary>
    public required string ClassName { get; init; }

    /// <summary>The head's type.</summary>
    public required Type Head { get; init; }

    /// <summary>The head's parameters, in order.</summary>
    public required string[] HeadParameters { get; init; }

    /// <summary>The encoder parameter the decoder weight is (tied to the word embeddings).</summary>
    public required string Decoder { get; init; }

    /// <summary>The checkpoint layout the head names.</summary>
    public required MaskedLmLayout Layout { get; init; }

    /// <summary>The tokenizer's mask token (else <see cref="MaskId"/>).</summary>
    public string? MaskToken { get; init; }

    /// <summary>The mask id from config.json when the tokenizer has no mask token.</summary>
    public int? MaskId { get; init; }

    /// <summary>Ids below this are never predicted (NorBERT3).</summary>
    public int ExcludedIds { get; init; }

    /// <summary>Whether position i predicts token i + 1 (NorBERT4).</summary>
    public bool PredictsNextToken { get; init; }

    /// <summary>The PyTorch reference under fixtures/: logits, and unless <see cref="LogitsOnly"/> the loss and gradients.</summary>
    public required string Reference { get; init; }

    /// <summary>Whether the reference holds logits only.</summary>
    public bool LogitsOnly { get; init; }

    /// <summary>The head's map of a raw logit z (NorBERT4's soft cap), as the reference gives it.</summary>
    public Func<double, double> Bound { get; init; } = z => z;

    /// <summary>The masking of the finite-difference check.</summary>
    public float MaskProbability { get; init; } = 0.4f;

    /// <summary>The parameters (and an index into each) checked against central differences.</summary>
    public required (string Name, int Index)[] GradientChecks { get; init; }

    /// <summary>The head's weight: read from the checkpoint, trained, and drawn anew without a head.</summary>
    public required string HeadWeight { get; init; }

    /// <summary>A head parameter read from the checkpoint as it is stored.</summary>
    public required string StoredParameter { get; init; }

    /// <summary>The head's bias a continued run trains further.</summary>
    public required string HeadBias { get; init; }

    /// <summary>The transformer the saved folder loads as.</summary>
    public required Type Transformer { get; init; }

    /// <summary>Keys the saved checkpoint holds.</summary>
    public required string[] SavedKeys { get; init; }

    /// <summary>Every saved key starts with one of these (one ending in neither '.' nor '_' is a whole key).</summary>
    public required string[] SavedPrefixes { get; init; }

    /// <summary>The prefix of the tied decoder's keys, left out of the saved checkpoint (null: saved as a copy, <see cref="TiedCopy"/>).</summary>
    public string? TiedKey { get; init; }

    /// <summary>A decoder key saved as a copy of another (the word embeddings).</summary>
    public (string Copy, string Of)? TiedCopy { get; init; }

    /// <summary>An encoder weight by its saved key and its name once loaded again.</summary>
    public required (string Saved, string Loaded) EncoderWeight { get; init; }

    /// <summary>config.json's auto_map entries the saved folder must hold.</summary>
    public IReadOnlyDictionary<string, string> AutoMap { get; init; } = new Dictionary<string, string>();

    /// <summary>Other files the saved folder must hold.</summary>
    public string[] SavedFiles { get; init; } = [];

    /// <summary>A fixture folder of the encoder without the head (else: the checkpoint without <see cref="DroppedPrefix"/>'s keys).</summary>
    public string? BareFolder { get; init; }

    /// <summary>The head's key prefix left out of the checkpoint for the folder without a head.</summary>
    public string? DroppedPrefix { get; init; }

    /// <summary>A new head's parameters, when they differ from the checkpoint's (a config choosing other biases).</summary>
    public string[]? BareHeadParameters { get; init; }

    /// <summary>A new head weight's root mean square lies here (a normal of that std).</summary>
    public (double Low, double High)? BareWeightRms { get; init; }

    /// <summary>A new head weight's values lie within ± this (a normal truncated at 2 std).</summary>
    public double? BareWeightBound { get; init; }

    /// <summary>A new head's parameters that start at 1.</summary>
    public string[] BareOnes { get; init; } = [];

    /// <summary>A new head's parameters that start at 0.</summary>
    public string[] BareZeros { get; init; } = [];

    /// <summary>The vocabulary width of a SPLADE run's sparse encoder (null: the architecture has no SPLADE test).</summary>
    public int? SparseDimension { get; init; }

    /// <summary>The fixture folder's path.</summary>
    public string Path => System.IO.Path.Combine(Skald.Tests.Repository.Root, "fixtures", "models", Folder);

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>The row named <paramref name="name"/>.</summary>
    public static MaskedLmArchitecture Of(string name) => All.Single(a => a.Name == name);

    /// <summary>Every architecture's row.</summary>
    public static IReadOnlyList<MaskedLmArchitecture> All { get; } = MaskedLmArchitectures.Rows;
}
