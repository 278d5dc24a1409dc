using System.Runtime.InteropServices;

/// <summary>The C library's environment (what native code such as libgomp reads; .NET keeps its own copy).</summary>
static partial class NativeEnv
{
    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int setenv(string name, string value, int overwrite);
}
