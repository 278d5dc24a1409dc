using System.Text;

namespace Skald.Cli.Tests;

/// <summary>
/// A write-only byte stream that decodes what it is given as UTF-8 onto <see cref="Console.Out"/>: the test host's
/// standard output as bytes (<c>Terminal.OpenStdoutBytes</c>, installed by <see cref="ConsoleRouter"/>), so the JSON that
/// search and rerank write as bytes reaches the in-process run's captured output (<see cref="InProcessSkald"/>) in the
/// order it was written, like their text. A character split across two writes is decoded whole.
/// </summary>
internal sealed class ConsoleOutStream : Stream
{
    private readonly Decoder decoder = Encoding.UTF8.GetDecoder();
    private char[] chars = new char[256];

    /// <inheritdoc/>
    public override bool CanRead => false;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => true;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer) => Decode(buffer, flush: false);

    /// <inheritdoc/>
    public override void Flush() => Console.Out.Flush();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) Decode([], flush: true); // a dangling partial character comes out as U+FFFD, as a decoder would
        base.Dispose(disposing);
    }

    private void Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        int need = decoder.GetCharCount(bytes, flush);
        if (need > chars.Length) chars = new char[Math.Max(need, 2 * chars.Length)];
        int n = decoder.GetChars(bytes, chars, flush);
        Console.Out.Write(chars.AsSpan(0, n));
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();
}
