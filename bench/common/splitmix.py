"""The PyTorch-twin benchmarks' ids (bench/encoders, bench/decoder, bench/splade): splitmix64 from a seed, each output
mod the vocabulary; common/SplitMixTokens.cs draws the same ids."""

MASK64 = (1 << 64) - 1


def splitmix_ids(seed, count, vocab):
    """`count` ids: splitmix64 from `seed`, each output mod `vocab`."""
    state, out = seed, []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        out.append((z ^ (z >> 31)) % vocab)
    return out
