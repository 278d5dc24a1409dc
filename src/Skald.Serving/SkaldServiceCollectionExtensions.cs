using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skald.Models;

namespace Skald.Serving;

/// <summary>
/// Registers a Skald embedding model in an app's container from its configuration (appsettings.json), as
/// Microsoft.Extensions.AI's <c>AddEmbeddingGenerator</c> registers a generator: one singleton
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of <see cref="Embedding{T}"/>, its model loaded once on first
/// use and disposed with the container (the generator owns it, <see cref="EncoderEmbeddingGenerator{TEmbedding}.OwnsEncoder"/>).
/// </summary>
public static class SkaldServiceCollectionExtensions
{
    /// <summary>
    /// Registers the model <paramref name="section"/> describes (e.g. <c>configuration.GetSection("Skald")</c>) as the
    /// app's <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c>; the returned builder adds middleware
    /// (<c>UseLogging</c>, <c>UseOpenTelemetry</c>) as <c>AddEmbeddingGenerator</c>'s does. Keys, the load settings
    /// <c>skald serve</c> takes for its model (their values read by <see cref="ModelLoadValues"/> for both):
    /// <c>Model</c> (required: a model folder or hub id, as <see cref="SentenceEncoder.Load(string, IReadOnlyList{string}?, Skald.Tensors.WeightPrecision)"/>
    /// takes it), <c>ModelId</c> (the embeddings' model id; default the model's name), <c>Adapters</c> (PEFT LoRA adapter
    /// folders or hub ids merged in order: a comma-separated string or a list, as <c>--adapters</c>), <c>Precision</c>
    /// (<c>f32</c>, <c>bf16</c>, <c>f16</c>, as <c>--weights</c>, or <c>Float32</c>, <c>BFloat16</c>, <c>Float16</c>),
    /// <c>Quantize</c> (<c>int8</c> or <c>bf16</c>, as <c>--quantize</c>: a CPU without the kernels encodes in float32
    /// and the app's logger gets one warning; without it, as without <c>--quantize</c>, the float32 Linear weights are
    /// held once, in the GEMM's packed layout, <see cref="SentenceEncoder.KeepPackedOnly"/>), <c>Threads</c> (the process's kernel threads,
    /// <see cref="Skald.Tensors.Parallelism.MaxThreads"/>, as <c>SKALD_THREADS</c>; set when the model loads), and
    /// <see cref="EncodeOptions"/>' <c>BatchSize</c>, <c>Normalize</c>, <c>TruncateDim</c>, <c>MaxLength</c>,
    /// <c>PromptName</c>, <c>Prompt</c>, <c>Instruction</c>. The section is read here: a missing <c>Model</c>, an
    /// unknown key or a value of the wrong form throws <see cref="InvalidOperationException"/>, one line naming the key
    /// (<c>Skald:BatchSize</c>); a model that does not load (no such folder, not a model) and a <c>TruncateDim</c> past
    /// its dimension, or an <c>Instruction</c> for a model that is not LLM2Vec's, are refused the same way when the model
    /// loads (the first resolve).
    /// </summary>
    public static EmbeddingGeneratorBuilder<string, Embedding<float>> AddSkaldEmbeddingGenerator(this IServiceCollection services,
        IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(section);
        var settings = EmbeddingGeneratorSettings.Read(section);
        return services.AddEmbeddingGenerator(provider =>
        {
            if (settings.Threads is int threads) Skald.Tensors.Parallelism.MaxThreads = threads;
            SentenceEncoder encoder;
            try
            {
                encoder = SentenceEncoder.Load(settings.Model, settings.Adapters, settings.Precision);
            }
            catch (Exception e) when (e is ModelFormatException or Skald.Hub.HubException or IOException or InvalidDataException or UnauthorizedAccessException
                or Skald.Tokenizers.TokenizerException)
            {
                // a folder that is not there or not a model: the app's operator fixes the key, so the line names it
                string key = settings.Adapters is { Count: > 0 } ? $"{settings.Key("Model")} (with {settings.Key("Adapters")})" : settings.Key("Model");
                throw new InvalidOperationException($"{key} \"{settings.Model}\" does not load: {e.Message}", e);
            }
            try
            {
                if (settings.Defaults.TruncateDim > encoder.Dimension)
                    throw new InvalidOperationException($"{settings.Key("TruncateDim")} is {settings.Defaults.TruncateDim}, past the model's dimension {encoder.Dimension}");
                if (settings.Defaults.PromptName is { } promptName && !encoder.Folder.Prompts.ContainsKey(promptName))
                    throw new InvalidOperationException($"{settings.Key("PromptName")} \"{promptName}\" is not a prompt of \"{settings.Model}\" ("
                        + (encoder.Folder.Prompts.Count == 0 ? "it defines none" : "it has " + string.Join(", ", encoder.Folder.Prompts.Keys)) + ")");
                if (settings.Defaults.Instruction is not null && encoder.Folder.Llm2Vec is null)
                    throw new InvalidOperationException($"{settings.Key("Instruction")} is for an LLM2Vec model (llm2vec_config.json); \"{settings.Model}\" is not one: use {settings.Key("Prompt")} or {settings.Key("PromptName")}");
                // as skald serve does with or without --quantize: no Quantize key is float32 held once, packed (the same embeddings)
                var log = provider.GetService<ILoggerFactory>()?.CreateLogger(typeof(SkaldServiceCollectionExtensions).FullName!);
                ModelLoadValues.Apply(encoder, settings.Quantize ?? ModelQuantization.None,
                    notice => log?.LogWarning("{Key} {Notice}", settings.Key("Quantize"), notice), settings.Key("Precision"));
            }
            catch
            {
                encoder.Dispose();
                throw;
            }
            return new SkaldEmbeddingGenerator(encoder, settings.Defaults, settings.ModelId) { OwnsEncoder = true };
        }, ServiceLifetime.Singleton); // one model for the app: a scoped registration would load one per scope
    }
}
