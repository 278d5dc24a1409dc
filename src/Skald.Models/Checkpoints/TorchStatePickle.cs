using System.Buffers.Binary;
using System.Text;

namespace Skald.Models.Checkpoints;

/// <summary>
/// The <c>data.pkl</c> record of a <c>torch.save</c> file holding a state dict: pickle protocol 2, as Python's
/// <c>pickle.Pickler</c> writes an <c>OrderedDict</c> of contiguous CPU tensors under torch's <c>persistent_id</c>,
/// memo numbering included, so the bytes equal torch 1.13's. Each tensor is
/// <c>torch._utils._rebuild_tensor_v2(storage, 0, shape, stride, False, OrderedDict())</c> over its own storage, whose
/// persistent id is <c>('storage', torch.XStorage, key, 'cpu', numel)</c> with keys <c>"0"</c>, <c>"1"</c>, ... in
/// order. Objects Python pickles once and then refers to (<c>BINGET</c>) are the globals and the two string constants
/// of torch's <c>persistent_id</c>; every other string and non-empty tuple is new, so it is memoized (<c>BINPUT</c>)
/// and never looked up again.
/// </summary>
/// <remarks>
/// Upstream: torch 1.13 <c>torch/serialization.py</c> (<c>_save</c>, <c>persistent_id</c>) and CPython's
/// <c>Lib/pickle.py</c> (<c>save_long</c>, <c>save_str</c>, <c>save_tuple</c>, <c>save_reduce</c>,
/// <c>_batch_setitems</c> with <c>_BATCHSIZE</c> 1000).
/// </remarks>
internal sealed class TorchStatePickle
{
    private const int BatchSize = 1000;

    private readonly MemoryStream output = new();
    private readonly Dictionary<string, int> globals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> constants = new(StringComparer.Ordinal);
    private int memoCount;

    private TorchStatePickle()
    {
    }

    /// <summary>One tensor of the state dict: its key, shape, torch storage class (<c>FloatStorage</c>, ...) and element count.</summary>
    public readonly record struct Entry(string Name, int[] Shape, string StorageClass, long Elements);

    /// <summary>The pickle of an OrderedDict mapping each entry's name to a tensor over storage key i (the entry's index).</summary>
    public static byte[] StateDict(IReadOnlyList<Entry> entries)
    {
        var p = new TorchStatePickle();
        p.Byte(0x80); p.Byte(2); // PROTO 2
        p.Global("collections", "OrderedDict");
        p.Byte((byte)')'); p.Byte((byte)'R'); p.Put(); // OrderedDict()
        for (int start = 0; start < entries.Count; start += BatchSize)
        {
            int count = Math.Min(BatchSize, entries.Count - start);
            if (count > 1) p.Byte((byte)'('); // MARK
            for (int i = start; i < start + count; i++) p.Item(entries[i], i);
            p.Byte(count > 1 ? (byte)'u' : (byte)'s'); // SETITEMS, or SETITEM for a batch of one
        }
        p.Byte((byte)'.'); // STOP
        return p.output.ToArray();
    }

    // key, then _rebuild_tensor_v2(persistent storage, offset, size, stride, requires_grad, backward_hooks)
    private void Item(Entry e, int index)
    {
        NewString(e.Name);
        Global("torch._utils", "_rebuild_tensor_v2");
        Byte((byte)'('); // MARK: the arguments
        Byte((byte)'('); // MARK: the persistent id
        ConstantString("storage");
        Global("torch", e.StorageClass);
        NewString(index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        ConstantString("cpu");
        Int(e.Elements);
        Byte((byte)'t'); Put(); // TUPLE
        Byte((byte)'Q'); // BINPERSID
        Int(0); // storage offset
        var stride = new long[e.Shape.Length];
        long step = 1;
        for (int d = e.Shape.Length - 1; d >= 0; d--)
        {
            stride[d] = step;
            step *= e.Shape[d];
        }
        Tuple([.. e.Shape.Select(d => (long)d)]);
        Tuple(stride);
        Byte(0x89); // NEWFALSE: requires_grad
        Global("collections", "OrderedDict");
        Byte((byte)')'); Byte((byte)'R'); Put(); // backward_hooks = OrderedDict()
        Byte((byte)'t'); Put(); // TUPLE (MARK at the arguments)
        Byte((byte)'R'); Put(); // REDUCE
    }

    private void Tuple(long[] values)
    {
        if (values.Length == 0)
        {
            Byte((byte)')'); // EMPTY_TUPLE, never memoized
            return;
        }
        if (values.Length > 3) Byte((byte)'(');
        foreach (long v in values) Int(v);
        Byte(values.Length switch { 1 => 0x85, 2 => 0x86, 3 => 0x87, _ => (byte)'t' });
        Put();
    }

    // save_long at protocol 2: BININT1, BININT2, BININT (signed 32-bit), else LONG1 (little-endian two's complement).
    private void Int(long v)
    {
        Span<byte> b = stackalloc byte[8];
        if (v is >= 0 and <= 0xFF) { Byte((byte)'K'); Byte((byte)v); }
        else if (v is >= 0 and <= 0xFFFF) { Byte((byte)'M'); BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v); output.Write(b[..2]); }
        else if (v is >= int.MinValue and <= int.MaxValue) { Byte((byte)'J'); BinaryPrimitives.WriteInt32LittleEndian(b, (int)v); output.Write(b[..4]); }
        else
        {
            BinaryPrimitives.WriteInt64LittleEndian(b, v);
            int n = 8; // the fewest bytes whose top bit still gives the sign
            while (n > 1 && (b[n - 1] == 0 && (b[n - 2] & 0x80) == 0 || b[n - 1] == 0xFF && (b[n - 2] & 0x80) != 0)) n--;
            Byte(0x8a); Byte((byte)n); output.Write(b[..n]);
        }
    }

    private void Global(string module, string name)
    {
        string key = module + "\n" + name;
        if (globals.TryGetValue(key, out int at)) { Get(at); return; }
        Byte((byte)'c');
        output.Write(Encoding.ASCII.GetBytes(key + "\n"));
        globals[key] = Put();
    }

    // torch's persistent_id returns the same 'storage' and 'cpu' objects every time: pickled once, then referred to.
    private void ConstantString(string s)
    {
        if (constants.TryGetValue(s, out int at)) { Get(at); return; }
        NewString(s);
        constants[s] = memoCount - 1;
    }

    private void NewString(string s)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(s);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)utf8.Length);
        Byte((byte)'X'); output.Write(length); output.Write(utf8); // BINUNICODE
        Put();
    }

    private int Put()
    {
        int index = memoCount++;
        Memo((byte)'q', (byte)'r', index); // BINPUT / LONG_BINPUT
        return index;
    }

    private void Get(int index) => Memo((byte)'h', (byte)'j', index); // BINGET / LONG_BINGET

    private void Memo(byte shortOp, byte longOp, int index)
    {
        if (index < 256) { Byte(shortOp); Byte((byte)index); return; }
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)index);
        Byte(longOp); output.Write(b);
    }

    private void Byte(byte b) => output.WriteByte(b);
}
