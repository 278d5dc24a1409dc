using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Skald.Cli.IO;

/// <summary>
/// NumPy's .npy format 1.0 for 2-D arrays: magic, header length, a Python dict literal padded to 64 bytes, then the
/// raw little-endian values in C order. Writes float32, int8 and uint8 matrices; reads float32 (and float64) ones.
/// </summary>
internal static partial class NpyFile
{
    /// <summary>Writes the header of a [rows, cols] array of dtype <paramref name="descr"/> ('&lt;f4', '|i1', '|u1').</summary>
    public static void WriteHeader(Stream s, string descr, int rows, int cols)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows}, {cols}), }}";
        int total = 10 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        string header = dict + new string(' ', pad) + "\n";
        s.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        s.Write(BitConverter.GetBytes((ushort)header.Length));
        s.Write(Encoding.ASCII.GetBytes(header));
    }

    /// <summary>A 2-D float32 or float64 array, as float32 rows; anything else is one line naming the file.</summary>
    public static float[][] ReadFloatMatrix(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new InputException($"{path}: {e.Message}"); }
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new InputException($"{path}: not a .npy file (no \\x93NUMPY magic)");
        int major = bytes[6];
        if (major is < 1 or > 3) throw new InputException($"{path}: .npy format version {major}, expected 1, 2 or 3");
        int start = major == 1 ? 10 : 12; // versions 2 and 3 give the header length in 4 bytes
        if (bytes.Length < start) throw new InputException($"{path}: the .npy header runs past the end of the file");
        long headerLength = major == 1 ? BitConverter.ToUInt16(bytes, 8) : BitConverter.ToUInt32(bytes, 8);
        if (start + headerLength > bytes.Length) throw new InputException($"{path}: the .npy header runs past the end of the file");
        string header = Encoding.ASCII.GetString(bytes, start, (int)headerLength);
        var descr = Descr().Match(header);
        var shape = Shape().Match(header);
        if (!descr.Success || !shape.Success) throw new InputException($"{path}: unreadable .npy header {header.Trim()}");
        if (header.Contains("'fortran_order': True", StringComparison.Ordinal))
            throw new InputException($"{path}: a Fortran-order array; save it in C order (np.ascontiguousarray)");
        string type = descr.Groups[1].Value;
        int width = type switch { "<f4" => 4, "<f8" => 8, _ => throw new InputException($"{path}: dtype {type}, expected float32 (<f4) or float64 (<f8)") };
        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (dims.Length != 2) throw new InputException($"{path}: an array of shape ({shape.Groups[1].Value.Trim()}), expected a 2-D one (rows, columns)");
        if (!int.TryParse(dims[0], NumberStyles.None, CultureInfo.InvariantCulture, out int rows)
            || !int.TryParse(dims[1], NumberStyles.None, CultureInfo.InvariantCulture, out int cols))
            throw new InputException($"{path}: shape ({dims[0]}, {dims[1]}) is not two whole numbers below 2^31");
        int data = start + (int)headerLength;
        if ((long)rows * cols * width != bytes.Length - data)
            throw new InputException($"{path}: shape ({rows}, {cols}) needs {(long)rows * cols * width} bytes of data, the file has {bytes.Length - data}");
        var result = new float[rows][];
        for (int r = 0; r < rows; r++)
        {
            result[r] = new float[cols];
            for (int c = 0; c < cols; c++)
            {
                int at = data + (r * cols + c) * width;
                result[r][c] = width == 4 ? BitConverter.ToSingle(bytes, at) : (float)BitConverter.ToDouble(bytes, at);
            }
        }
        return result;
    }

    [GeneratedRegex(@"'descr':\s*'([^']+)'")]
    private static partial Regex Descr();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex Shape();
}
