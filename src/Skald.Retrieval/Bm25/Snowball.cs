using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

namespace Skald.Retrieval.Bm25;

/// <summary>
/// Snowball stemmers through the C library libstemmer (Debian package <c>libstemmer0d</c>, SONAME
/// <c>libstemmer.so.0d</c>), loaded at run time. When the library is missing, <see cref="TryCreate"/> returns null and
/// callers index without stemming (and say so in their metadata).
/// </summary>
public sealed unsafe class Snowball : IDisposable
{
    private static readonly Lazy<IntPtr> Library = new(LoadLibrary);
    private static delegate* unmanaged<byte*, byte*, IntPtr> sbNew;
    private static delegate* unmanaged<IntPtr, void> sbDelete;
    private static delegate* unmanaged<IntPtr, byte*, int, byte*> sbStem;
    private static delegate* unmanaged<IntPtr, int> sbLength;

    private readonly IntPtr stemmer;
    private readonly object gate = new();
    private readonly ConcurrentDictionary<string, string> memo = new(StringComparer.Ordinal);

    private Snowball(IntPtr stemmer, string algorithm)
    {
        this.stemmer = stemmer;
        Algorithm = algorithm;
    }

    /// <summary>True when libstemmer could be loaded.</summary>
    public static bool IsAvailable => Library.Value != IntPtr.Zero;

    /// <summary>The Snowball algorithm name ("norwegian", "danish", "swedish", ...).</summary>
    public string Algorithm { get; }

    /// <summary>Snowball algorithm for an ISO 639-1 code: da → danish, nb/nn/no → norwegian, sv → swedish, en → english.</summary>
    public static string? AlgorithmFor(string? language) => language?.ToLowerInvariant() switch
    {
        "da" or "dan" => "danish",
        "nb" or "nn" or "no" or "nob" or "nno" or "nor" => "norwegian",
        "sv" or "swe" => "swedish",
        "en" or "eng" => "english",
        "de" or "deu" => "german",
        "fi" or "fin" => "finnish",
        _ => null,
    };

    /// <summary>A stemmer for the algorithm, or null when libstemmer is absent or does not know it.</summary>
    public static Snowball? TryCreate(string algorithm)
    {
        if (!IsAvailable) return null;
        var alg = Encoding.ASCII.GetBytes(algorithm + "\0");
        var enc = "UTF_8\0"u8.ToArray();
        IntPtr s;
        fixed (byte* a = alg)
        fixed (byte* e = enc)
        {
            s = sbNew(a, e);
        }
        return s == IntPtr.Zero ? null : new Snowball(s, algorithm);
    }

    /// <summary>The stem of one lower-cased word (thread-safe, memoised).</summary>
    public string Stem(string word)
    {
        if (memo.TryGetValue(word, out var cached)) return cached;
        var bytes = Encoding.UTF8.GetBytes(word);
        string result;
        lock (gate)
        {
            fixed (byte* w = bytes)
            {
                byte* r = sbStem(stemmer, w, bytes.Length);
                result = r == null ? word : Encoding.UTF8.GetString(r, sbLength(stemmer));
            }
        }
        memo.TryAdd(word, result);
        return result;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (stemmer != IntPtr.Zero) sbDelete(stemmer);
    }

    private static IntPtr LoadLibrary()
    {
        foreach (var name in new[] { "libstemmer.so.0d", "libstemmer.so.0", "libstemmer.so", "libstemmer" })
        {
            if (!NativeLibrary.TryLoad(name, out var handle)) continue;
            if (NativeLibrary.TryGetExport(handle, "sb_stemmer_new", out var pNew)
                && NativeLibrary.TryGetExport(handle, "sb_stemmer_delete", out var pDelete)
                && NativeLibrary.TryGetExport(handle, "sb_stemmer_stem", out var pStem)
                && NativeLibrary.TryGetExport(handle, "sb_stemmer_length", out var pLength))
            {
                sbNew = (delegate* unmanaged<byte*, byte*, IntPtr>)pNew;
                sbDelete = (delegate* unmanaged<IntPtr, void>)pDelete;
                sbStem = (delegate* unmanaged<IntPtr, byte*, int, byte*>)pStem;
                sbLength = (delegate* unmanaged<IntPtr, int>)pLength;
                return handle;
            }
        }
        return IntPtr.Zero;
    }
}
