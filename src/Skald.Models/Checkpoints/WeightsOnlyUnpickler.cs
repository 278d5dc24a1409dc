using System.Buffers.Binary;
using System.Text;

namespace Skald.Models.Checkpoints;

/// <summary>
/// Reads the <c>data.pkl</c> of a <c>torch.save</c> zip as a state dict (name → tensor description) without running
/// anything: like torch's weights-only unpickler (torch/_weights_only_unpickler.py and torch/serialization.py, read at
/// pytorch/pytorch 00f730b66e58769f9698d9236f58cd46c3794115 and in torch 1.13), the pickle may only build dicts, lists,
/// tuples, strings, numbers and tensors over persistent storage records, and may only name the globals such a state
/// dict uses: <c>collections.OrderedDict</c>, <c>torch._utils._rebuild_tensor{,_v2,_v3}</c>,
/// <c>torch._utils._rebuild_parameter{,_with_state}</c>, the <c>torch.*Storage</c> types and the <c>torch.*</c>
/// dtypes. Every other global (<c>os.system</c>, <c>builtins.eval</c>, a class) is refused, in one line naming it,
/// before anything else is read. Globals are never resolved to code here: each allowed name maps to a fixed role.
/// </summary>
internal sealed class WeightsOnlyUnpickler
{
    /// <summary>A storage record (<c>data/{Key}</c>) of <paramref name="Numel"/> elements of <paramref name="Type"/>.</summary>
    public sealed record Storage(string Key, TorchDType Type, long Numel);

    /// <summary>A tensor over <paramref name="Storage"/> as <c>_rebuild_tensor_v2</c> describes it (offset and strides in elements).</summary>
    public sealed record Tensor(Storage Storage, TorchDType DType, long Offset, long[] Shape, long[] Stride);

    /// <summary>An element type as torch names it; <paramref name="DType"/> is null for one Skald does not read.</summary>
    public sealed record TorchDType(string Name, SafeTensorsDType? DType);

    private enum Role { OrderedDict, RebuildTensor, RebuildTensorV2, RebuildTensorV3, RebuildParameter, RebuildParameterWithState, StorageType, DType }

    private sealed record Global(string FullName, Role Role, TorchDType? DType = null);

    private static readonly Dictionary<string, Global> Allowed = BuildAllowed();

    private readonly string path;
    private readonly byte[] data;
    private readonly Dictionary<string, Storage> storages = new(StringComparer.Ordinal);
    private readonly Dictionary<long, object?> memo = [];
    private int at;

    private WeightsOnlyUnpickler(string path, byte[] data)
    {
        this.path = path;
        this.data = data;
    }

    /// <summary>
    /// The tensors of the state dict pickled in <paramref name="pickle"/>, in the pickle's order; non-tensor values are
    /// left out. <paramref name="path"/> names the file in messages.
    /// </summary>
    public static List<KeyValuePair<string, Tensor>> ReadStateDict(string path, ReadOnlySpan<byte> pickle)
    {
        var root = new WeightsOnlyUnpickler(path, pickle.ToArray()).Load();
        if (root is not OrderedDictionary<object, object?> dict)
            throw new ModelFormatException($"{path}: data.pkl holds a {Describe(root)}, not a state dict (a dict of name → tensor, as save_pretrained writes)");
        var tensors = new List<KeyValuePair<string, Tensor>>(dict.Count);
        foreach (var (key, value) in dict)
        {
            if (key is not string name) throw new ModelFormatException($"{path}: data.pkl: a state-dict key is a {Describe(key)}, not a string");
            if (value is OrderedDictionary<object, object?>)
                throw new ModelFormatException($"{path}: data.pkl: \"{name}\" holds a nested dict; Skald reads a flat state dict (name → tensor), as save_pretrained writes");
            if (value is Tensor t) tensors.Add(new(name, t));
        }
        return tensors;
    }

    private object? Load()
    {
        var marks = new Stack<List<object?>>();
        var current = new List<object?>();
        while (true)
        {
            byte op = Byte();
            switch (op)
            {
                case 0x80: Byte(); break; // PROTO
                case 0x95: Take(8); break; // FRAME
                case (byte)'.': return Pop(current); // STOP
                case (byte)'(': marks.Push(current); current = []; break; // MARK
                case (byte)'0': Pop(current); break; // POP
                case (byte)'1': current = PopMark(marks); break; // POP_MARK
                case (byte)'N': current.Add(null); break;
                case 0x88: current.Add(true); break;
                case 0x89: current.Add(false); break;
                case (byte)'J': current.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break;
                case (byte)'K': current.Add((long)Byte()); break;
                case (byte)'M': current.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break;
                case 0x8a: current.Add(Long1()); break;
                case (byte)'G': current.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break;
                case (byte)'X': current.Add(Utf8(Take(Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))))); break;
                case 0x8c: current.Add(Utf8(Take(Byte()))); break; // SHORT_BINUNICODE
                case (byte)'U': current.Add(Take(Byte()).ToArray()); break; // SHORT_BINSTRING, kept as bytes
                case (byte)'C': current.Add(Take(Byte()).ToArray()); break; // SHORT_BINBYTES
                case (byte)'B': current.Add(Take(Length(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))).ToArray()); break;
                case (byte)'}': current.Add(new OrderedDictionary<object, object?>()); break;
                case (byte)']': current.Add(new List<object?>()); break;
                case (byte)')': current.Add(Array.Empty<object?>()); break;
                case (byte)'t': { var items = PopMarkItems(ref current, marks); current.Add(items.ToArray()); break; }
                case 0x85: current.Add(PopTuple(current, 1)); break;
                case 0x86: current.Add(PopTuple(current, 2)); break;
                case 0x87: current.Add(PopTuple(current, 3)); break;
                case (byte)'q': memo[Byte()] = Top(current); break; // BINPUT
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Top(current); break;
                case 0x94: memo[memo.Count] = Top(current); break; // MEMOIZE
                case (byte)'h': current.Add(Memo(Byte())); break; // BINGET
                case (byte)'j': current.Add(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break;
                case (byte)'c': current.Add(Resolve(Line(), Line())); break; // GLOBAL
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop(current) as string;
                    var module = Pop(current) as string;
                    if (name is null || module is null) throw Bad("STACK_GLOBAL without a module and name");
                    current.Add(Resolve(module, name));
                    break;
                }
                case (byte)'R': { var args = Pop(current); current.Add(Reduce(Pop(current), args)); break; }
                case (byte)'Q': current.Add(PersistentLoad(Pop(current))); break; // BINPERSID
                case (byte)'b': // BUILD: only an OrderedDict's attributes (a state dict's _metadata), which are not needed
                {
                    Pop(current);
                    if (Top(current) is not OrderedDictionary<object, object?>) throw Bad($"BUILD on a {Describe(Top(current))}");
                    break;
                }
                case (byte)'s': { var v = Pop(current); var k = Pop(current); SetItem(Top(current), k, v); break; }
                case (byte)'u':
                {
                    var items = PopMarkItems(ref current, marks);
                    if (items.Count % 2 != 0) throw Bad("SETITEMS with an odd number of items");
                    for (int i = 0; i < items.Count; i += 2) SetItem(Top(current), items[i], items[i + 1]);
                    break;
                }
                case (byte)'a': { var v = Pop(current); ListOf(Top(current)).Add(v); break; }
                case (byte)'e': { var items = PopMarkItems(ref current, marks); ListOf(Top(current)).AddRange(items); break; }
                default:
                    throw new ModelFormatException(
                        $"{path}: data.pkl: pickle opcode 0x{op:x2} at byte {at - 1} is not one a weights-only state dict uses; refused");
            }
        }
    }

    private Global Resolve(string module, string name)
    {
        string full = $"{module}.{name}";
        return Allowed.TryGetValue(full, out var g) ? g : throw new ModelFormatException(
            $"{path}: refused to unpickle the global {full}: a weights-only checkpoint names only OrderedDict, torch's tensor rebuild functions, storage types and dtypes; nothing was run");
    }

    private object? Reduce(object? function, object? args)
    {
        if (function is not Global g) throw Bad($"REDUCE calls a {Describe(function)}");
        if (args is not object?[] a) throw Bad($"REDUCE of {g.FullName} without an argument tuple");
        switch (g.Role)
        {
            case Role.OrderedDict when a.Length == 0:
                return new OrderedDictionary<object, object?>();
            case Role.RebuildTensor when a.Length == 4:
            case Role.RebuildTensorV2 when a.Length is 6 or 7:
                return MakeTensor(g, a, a[0] is Storage s ? s.Type : null);
            case Role.RebuildTensorV3 when a.Length is 7 or 8:
                return MakeTensor(g, a, a[6] is Global { Role: Role.DType } d ? d.DType : throw Bad($"{g.FullName}'s dtype is a {Describe(a[6])}"));
            case Role.RebuildParameter when a.Length == 3:
            case Role.RebuildParameterWithState when a.Length == 4:
                return a[0] as Tensor ?? throw Bad($"{g.FullName} of a {Describe(a[0])}");
            default:
                throw Bad($"REDUCE calls {g.FullName} with {a.Length} arguments");
        }
    }

    private Tensor MakeTensor(Global g, object?[] a, TorchDType? dtype)
    {
        if (a[0] is not Storage storage) throw Bad($"{g.FullName} of a {Describe(a[0])}, not a storage");
        if (a[1] is not long offset || offset < 0) throw Bad($"{g.FullName}'s storage offset is {Describe(a[1])}");
        return new Tensor(storage, dtype ?? storage.Type, offset, Longs(g, a[2], "size"), Longs(g, a[3], "stride"));
    }

    private long[] Longs(Global g, object? value, string what)
    {
        if (value is not object?[] tuple) throw Bad($"{g.FullName}'s {what} is a {Describe(value)}");
        var result = new long[tuple.Length];
        for (int i = 0; i < tuple.Length; i++)
            result[i] = tuple[i] is long v && v >= 0 ? v : throw Bad($"{g.FullName}'s {what} holds {Describe(tuple[i])}");
        return result;
    }

    // torch.save's persistent id of a storage: ('storage', storage type, key, location, numel).
    private Storage PersistentLoad(object? pid)
    {
        if (pid is not object?[] { Length: 5 } t || t[0] is not string kind || kind != "storage")
            throw Bad($"a persistent id that is not ('storage', type, key, location, numel): {Describe(pid)}");
        if (t[1] is not Global { Role: Role.StorageType } type || t[2] is not string key || t[4] is not long numel || numel < 0)
            throw Bad($"a malformed storage persistent id ({Describe(t[1])}, {Describe(t[2])}, {Describe(t[4])})");
        if (storages.TryGetValue(key, out var known)) return known;
        var storage = new Storage(key, type.DType!, numel);
        storages[key] = storage;
        return storage;
    }

    private void SetItem(object? target, object? key, object? value)
    {
        if (target is not OrderedDictionary<object, object?> dict) throw Bad($"SETITEM on a {Describe(target)}");
        if (key is null or List<object?> or OrderedDictionary<object, object?>) throw Bad($"a dict key that is a {Describe(key)}");
        dict[key] = value;
    }

    private List<object?> ListOf(object? target) => target as List<object?> ?? throw Bad($"APPEND to a {Describe(target)}");

    private static Dictionary<string, Global> BuildAllowed()
    {
        var allowed = new Dictionary<string, Global>(StringComparer.Ordinal);
        void Add(string name, Role role, TorchDType? dtype = null) => allowed[name] = new Global(name, role, dtype);
        Add("collections.OrderedDict", Role.OrderedDict);
        Add("torch._utils._rebuild_tensor", Role.RebuildTensor);
        Add("torch._utils._rebuild_tensor_v2", Role.RebuildTensorV2);
        Add("torch._utils._rebuild_tensor_v3", Role.RebuildTensorV3);
        Add("torch._utils._rebuild_parameter", Role.RebuildParameter);
        Add("torch._utils._rebuild_parameter_with_state", Role.RebuildParameterWithState);
        (string Storage, string DType, SafeTensorsDType? Type)[] types =
        [
            ("FloatStorage", "float32", SafeTensorsDType.F32), ("HalfStorage", "float16", SafeTensorsDType.F16),
            ("BFloat16Storage", "bfloat16", SafeTensorsDType.BF16), ("DoubleStorage", "float64", SafeTensorsDType.F64),
            ("LongStorage", "int64", SafeTensorsDType.I64), ("IntStorage", "int32", SafeTensorsDType.I32),
            ("ShortStorage", "int16", SafeTensorsDType.I16), ("CharStorage", "int8", SafeTensorsDType.I8),
            ("ByteStorage", "uint8", SafeTensorsDType.U8), ("BoolStorage", "bool", SafeTensorsDType.Bool),
            ("ComplexFloatStorage", "complex64", null), ("ComplexDoubleStorage", "complex128", null),
            ("QInt8Storage", "qint8", null), ("QUInt8Storage", "quint8", null), ("QInt32Storage", "qint32", null),
            ("QUInt4x2Storage", "quint4x2", null), ("QUInt2x4Storage", "quint2x4", null),
        ];
        foreach (var (storage, dtype, type) in types)
        {
            var d = new TorchDType($"torch.{dtype}", type);
            Add($"torch.{storage}", Role.StorageType, d);
            Add($"torch.{dtype}", Role.DType, d);
        }
        Add("torch.UntypedStorage", Role.StorageType, new TorchDType("torch.uint8 (untyped)", SafeTensorsDType.U8));
        (string, SafeTensorsDType?)[] newer =
        [
            ("uint16", SafeTensorsDType.U16), ("uint32", SafeTensorsDType.U32), ("uint64", SafeTensorsDType.U64),
            ("float8_e5m2", SafeTensorsDType.F8E5M2), ("float8_e4m3fn", SafeTensorsDType.F8E4M3), ("complex32", null),
        ];
        foreach (var (dtype, type) in newer) Add($"torch.{dtype}", Role.DType, new TorchDType($"torch.{dtype}", type));
        return allowed;
    }

    private object?[] PopTuple(List<object?> current, int n)
    {
        if (current.Count < n) throw Bad($"the stack is empty at byte {at - 1}");
        var items = current.GetRange(current.Count - n, n).ToArray();
        current.RemoveRange(current.Count - n, n);
        return items;
    }

    private List<object?> PopMarkItems(ref List<object?> current, Stack<List<object?>> marks)
    {
        var items = current;
        current = PopMark(marks);
        return items;
    }

    private List<object?> PopMark(Stack<List<object?>> marks) => marks.Count > 0 ? marks.Pop() : throw Bad("an opcode needs a MARK that is not there");

    private object? Pop(List<object?> current)
    {
        if (current.Count == 0) throw Bad($"the stack is empty at byte {at - 1}");
        var v = current[^1];
        current.RemoveAt(current.Count - 1);
        return v;
    }

    private object? Top(List<object?> current) => current.Count > 0 ? current[^1] : throw Bad($"the stack is empty at byte {at - 1}");

    private object? Memo(long index) => memo.TryGetValue(index, out var v) ? v : throw Bad($"memo entry {index} is read before it is written");

    private long Long1()
    {
        var bytes = Take(Byte());
        if (bytes.Length > 8) throw Bad($"an integer of {bytes.Length} bytes");
        long v = bytes.Length > 0 && (sbyte)bytes[^1] < 0 ? -1L : 0L;
        for (int i = bytes.Length - 1; i >= 0; i--) v = (v << 8) | bytes[i];
        return v;
    }

    private int Length(uint n) => n <= (uint)(data.Length - at) ? (int)n : throw Bad($"a {n}-byte string past the end of data.pkl");

    private string Line()
    {
        int end = Array.IndexOf(data, (byte)'\n', at);
        if (end < 0) throw Bad("GLOBAL without its line");
        string s = Utf8(data.AsSpan(at, end - at));
        at = end + 1;
        return s;
    }

    private string Utf8(ReadOnlySpan<byte> bytes) => System.Text.Unicode.Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : throw Bad("a string that is not UTF-8");

    private byte Byte() => at < data.Length ? data[at++] : throw Bad("it ends before STOP (truncated)");

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n > data.Length - at) throw Bad("it ends before STOP (truncated)");
        var span = data.AsSpan(at, n);
        at += n;
        return span;
    }

    private ModelFormatException Bad(string what) => new($"{path}: data.pkl is not a weights-only state dict: {what}");

    private static string Describe(object? v) => v switch
    {
        null => "None",
        string s => $"string \"{s}\"",
        long n => $"integer {n}",
        Global g => g.FullName,
        Tensor => "tensor",
        Storage => "storage",
        object?[] t => $"tuple of {t.Length}",
        OrderedDictionary<object, object?> => "dict",
        List<object?> => "list",
        _ => v.GetType().Name,
    };
}
