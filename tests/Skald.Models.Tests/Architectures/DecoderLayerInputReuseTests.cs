using System.Text.Json.Nodes;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;
using Skald.Models.Generation;
using Skald.Tensors;
using Skald.Tensors.Autograd;
using Skald.Tensors.Memory;

namespace Skald.Models.Tests.Architectures;

/// <summary>
/// The decoders' layer stacks free each layer's input in an inference pass (<see cref="Tape.Layer{TState}"/>'s
/// inputDies, through <see cref="LayerStack"/>): every layer starts at the arena position the first one started at (the
/// output took its input's place), with and without padding and in a KV-cache generation step, and the pass computes
/// what one that keeps every input computes; with the per-layer states collected the inputs stay (the states are
/// kept, each layer's own).
/// </summary>
public sealed class DecoderLayerInputReuseTests : IDisposable
{
    private const int Depth = 6;
    private readonly string dir = TestPaths.NewTempDir();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    public static TheoryData<string> Families =>
        ["decoder-llama3", "decoder-mistral", "decoder-qwen2", "decoder-qwen3", "decoder-gemma", "decoder-gemma2",
            "decoder-gemma3", "decoder-gpt2"];

    /// <summary>The fixture's config with <see cref="Depth"/> layers, weights initialised from a seed.</summary>
    private IDecoder Deep(string fixture)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.FixtureModel(fixture), "config.json")))!.AsObject();
        config[config.ContainsKey("n_layer") ? "n_layer" : "num_hidden_layers"] = Depth;
        if (config["layer_types"] is JsonArray types)
            config["layer_types"] = new JsonArray([.. Enumerable.Range(0, Depth).Select(i => JsonValue.Create(types[i % types.Count]!.GetValue<string>()))]);
        string path = Path.Combine(dir, $"{fixture}.json");
        File.WriteAllText(path, config.ToJsonString());
        return Assert.IsAssignableFrom<IDecoder>(ArchitectureRegistry.Initialize(TransformerConfig.Load(path), 7));
    }

    /// <summary>Two rows of <paramref name="seq"/> ids; with <paramref name="padded"/> the second row is 3 tokens shorter.</summary>
    private static TokenBatch Tokens(int seq, bool padded, int vocab)
    {
        int[] ids = [.. Enumerable.Range(0, 2 * seq).Select(i => (i * 37 + 11) % vocab)];
        int[] mask = [.. Enumerable.Range(0, 2 * seq).Select(i => padded && i >= 2 * seq - 3 ? 0 : 1)];
        return new TokenBatch(ids, mask, new int[2 * seq], 2, seq);
    }

    /// <summary>One pass on a non-recording tape: its output and the arena position at the start of each layer.</summary>
    private static (float[] Output, List<ArenaMark> Starts) Pass(IDecoder model, TokenBatch tokens, HiddenStates? states = null,
        KvCache? cache = null, Tape? tape = null)
    {
        tape ??= new Tape(recording: false);
        var starts = new List<ArenaMark>();
        var t = tape;
        tape.LayerStarting = () => starts.Add(t.Arena.Mark());
        var y = cache is null ? model.Forward(tape, tokens, states) : model.Forward(tape, tokens, cache);
        tape.LayerStarting = null;
        return (y.Span.ToArray(), starts);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void EveryLayerStartsWhereTheFirstDid(string fixture)
    {
        var model = Deep(fixture);
        foreach (bool padded in new[] { false, true }) // padded: the unpadded rows of an inference pass
        {
            var tokens = Tokens(9, padded, model.Config.VocabSize);
            var (freed, starts) = Pass(model, tokens);
            Assert.Equal(Depth, starts.Count);
            Assert.All(starts, s => Assert.Equal(starts[0], s));

            // Collecting the states keeps every layer's input: one state further a layer, and the same output bits.
            var (kept, keptStarts) = Pass(model, tokens, new HiddenStates());
            for (int i = 1; i < Depth; i++) Assert.True(After(keptStarts[i], keptStarts[i - 1]), $"{fixture}: layer {i} at {keptStarts[i]}");
            Assert.Equal(kept, freed);
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void CollectedStatesAreEachLayersOwn(string fixture)
    {
        // Rows without padding: the padded path, where each collected state is the layer's output itself, so a layer
        // that freed its input would write its output over the state collected before it. The reference is a recording
        // tape (it keeps everything; inputDies does nothing there).
        var model = Deep(fixture);
        var tokens = Tokens(7, padded: false, model.Config.VocabSize);
        var states = new HiddenStates();
        Pass(model, tokens, states);
        var reference = new HiddenStates();
        model.Forward(new Tape(recording: true), tokens, reference);
        Assert.Equal(Depth, states.Layers.Count);
        for (int layer = 0; layer < Depth; layer++)
        {
            var got = states.Layers[layer].Span;
            var expected = reference.Layers[layer].Span;
            float worst = 0;
            for (int i = 0; i < got.Length; i++) worst = MathF.Max(worst, MathF.Abs(got[i] - expected[i]));
            Assert.True(worst <= 1e-5f, $"{fixture} layer {layer}: {worst:E2} from the recording pass's state");
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void AGenerationStepHoldsOneState(string fixture)
    {
        var model = Deep(fixture);
        var prompt = Tokens(6, padded: false, model.Config.VocabSize);
        var cache = new KvCache(model.Config, 2, 12);
        var tape = new Tape(recording: false);
        var (prefill, starts) = Pass(model, prompt, cache: cache, tape: tape);
        Assert.Equal(Depth, starts.Count);
        Assert.All(starts, s => Assert.Equal(starts[0], s));
        // The prefill over an empty cache is the uncached pass that keeps every input (states collected), bit for bit.
        Assert.Equal(Pass(model, prompt, new HiddenStates()).Output, prefill);
        for (int step = 0; step < 4; step++)
        {
            tape.Reset();
            var next = new TokenBatch([3 + step, 40 + step], [1, 1], [0, 0], 2, 1);
            (_, starts) = Pass(model, next, cache: cache, tape: tape);
            Assert.Equal(Depth, starts.Count);
            Assert.All(starts, s => Assert.Equal(starts[0], s));
        }
    }

    [Fact]
    public void Gpt2sCrossAttentionDecoderHoldsOneState()
    {
        // TSDAE's decoder (ForwardDecoder) reads the memory in every block: it lies before the embeddings, which the
        // first block's output replaces; the states match the pass on a recording tape (which keeps every input).
        var model = Assert.IsType<Gpt2>(ArchitectureRegistry.Load(Path.Combine(TestPaths.FixtureModel("decoder-gpt2-cross"), "saved")));
        var tokens = Tokens(9, padded: false, model.Config.VocabSize);
        float[] memoryValues = [.. Enumerable.Range(0, 2 * model.HiddenSize).Select(i => MathF.Sin(i * 0.37f))];
        var tape = new Tape(recording: false);
        var starts = new List<ArenaMark>();
        tape.LayerStarting = () => starts.Add(tape.Arena.Mark());
        var y = model.ForwardDecoder(tape, tokens, tape.Constant(memoryValues, 2, model.HiddenSize)).Span.ToArray();
        Assert.Equal(model.Config.NumLayers, starts.Count);
        Assert.All(starts, s => Assert.Equal(starts[0], s));
        var rec = new Tape(recording: true);
        var expected = model.ForwardDecoder(rec, tokens, rec.Constant(memoryValues, 2, model.HiddenSize)).Span;
        for (int i = 0; i < y.Length; i++) Assert.True(MathF.Abs(y[i] - expected[i]) <= 1e-5f, $"{i}: {y[i]} vs {expected[i]}");
    }

    [Fact]
    public void BertsCrossAttentionDecoderHoldsOneState()
    {
        // TSDAE's BERT decoder (BertModel.ForwardDecoder, tied weights, one cross-attention block a layer) reads the
        // memory in every layer: made before the embeddings, it stays; each layer's output takes its input's place, and
        // the states match the pass on a recording tape (which keeps every input).
        var bert = Assert.IsType<BertModel>(ArchitectureRegistry.Load(TestPaths.FixtureModel("bert-cased-mean")));
        var p = ParameterBuilder.FromInitializer(BertModel.Initializer(bert.Config, new SkaldRandom(3)));
        var cross = Enumerable.Range(0, bert.Config.NumLayers).Select(i => new BertCrossAttention(bert.Config, p.Sub("layer", i))).ToArray();
        var tokens = Tokens(9, padded: false, bert.Config.VocabSize);
        float[] memoryValues = [.. Enumerable.Range(0, 2 * bert.Config.HiddenSize).Select(i => MathF.Sin(i * 0.37f))];
        var tape = new Tape(recording: false);
        var starts = new List<ArenaMark>();
        tape.LayerStarting = () => starts.Add(tape.Arena.Mark());
        var y = bert.ForwardDecoder(tape, tokens, tape.Constant(memoryValues, 2, bert.Config.HiddenSize), cross).Span.ToArray();
        Assert.True(bert.Config.NumLayers >= 2, $"{bert.Config.NumLayers} layers");
        Assert.Equal(bert.Config.NumLayers, starts.Count);
        Assert.All(starts, s => Assert.Equal(starts[0], s));
        var rec = new Tape(recording: true);
        var expected = bert.ForwardDecoder(rec, tokens, rec.Constant(memoryValues, 2, bert.Config.HiddenSize), cross).Span;
        for (int i = 0; i < y.Length; i++) Assert.True(MathF.Abs(y[i] - expected[i]) <= 1e-5f, $"{i}: {y[i]} vs {expected[i]}");
    }

    [Fact]
    public void AQwen3CrossEncodersPassHoldsOneState()
    {
        // A decoder behind another entry point: a cross-encoder's Predict (one batch, the model's inference tape).
        using var model = Skald.Models.CrossEncoders.CrossEncoder.Load(TestPaths.FixtureModel("ce-qwen3"));
        var tape = model.InferenceTape;
        var starts = new List<ArenaMark>();
        tape.LayerStarting = () => starts.Add(tape.Arena.Mark());
        model.Predict([("hva er en fjord", "En fjord er en lang havarm."), ("hva er en fjord", "Ferja går klokka ti.")]);
        tape.LayerStarting = null;
        Assert.True(starts.Count >= 2, $"{starts.Count} layers");
        Assert.All(starts, s => Assert.Equal(starts[0], s));
    }

    [Fact]
    public void GptBertKeepsItsEmbeddingsAndOneState()
    {
        // GPT-BERT's layer 0 reads the embeddings e, which every later layer mixes in: its output goes after them (and
        // after v1), every later layer's into its input's place.
        var model = ArchitectureRegistry.Load(TestPaths.FixtureModel("norbert4-tiny"));
        var tape = new Tape(recording: false);
        var starts = new List<ArenaMark>();
        tape.LayerStarting = () => starts.Add(tape.Arena.Mark());
        model.Forward(tape, Tokens(9, padded: false, model.Config.VocabSize));
        Assert.Equal(model.Config.NumLayers, starts.Count);
        Assert.True(After(starts[1], starts[0]), $"layer 1 at {starts[1]}, layer 0 at {starts[0]}");
        Assert.All(starts.Skip(1), s => Assert.Equal(starts[1], s));
    }

    private static bool After(ArenaMark a, ArenaMark b) => a.Chunk > b.Chunk || (a.Chunk == b.Chunk && a.Offset > b.Offset);
}
