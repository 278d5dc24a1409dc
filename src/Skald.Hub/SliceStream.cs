namespace Skald.Hub;

/// <summary>
/// At most <c>size</c> bytes of another stream from its position (one part of a multipart upload; the inner stream is
/// disposed with it), calling <c>moved</c> after every read so that an upload can tell a slow body from a stalled one.
/// </summary>
internal sealed class SliceStream(Stream inner, long size, Action? moved = null) : Stream
{
    private readonly long size = size;
    private long left = size;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => size;
    public override long Position { get => size - left; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (left <= 0) return 0;
        int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
        left -= n;
        moved?.Invoke();
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (left <= 0) return 0;
        int n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, left)], cancellationToken);
        left -= n;
        moved?.Invoke();
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
