namespace Skald.Tensors.Memory;

/// <summary>A position in a <see cref="ChunkArena"/> to rewind to (<see cref="ChunkArena.Rewind"/>).</summary>
/// <param name="Chunk">Index of the chunk in use.</param>
/// <param name="Offset">Floats used in that chunk.</param>
public readonly record struct ArenaMark(int Chunk, int Offset);
