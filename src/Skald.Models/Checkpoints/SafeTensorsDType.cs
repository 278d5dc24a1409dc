namespace Skald.Models.Checkpoints;

/// <summary>Element types of the safetensors format (https://github.com/huggingface/safetensors).</summary>
public enum SafeTensorsDType
{
    /// <summary>bool, 1 byte.</summary>
    Bool, U8, I8, F8E5M2, F8E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64,
}
