using System.Runtime.InteropServices;

namespace Skald.Evaluation.Models;

/// <summary>A 256-bit text hash.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct TextKey(ulong A, ulong B, ulong C, ulong D);
