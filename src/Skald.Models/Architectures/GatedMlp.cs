using Skald.Models.Checkpoints;
using Skald.Tensors.Autograd;
using Skald.Tensors.Kernels;

namespace Skald.Models.Architectures;

/// <summary>
/// A decoder's MLP (LlamaMLP, GemmaMLP): down_proj(f(gate_proj(x)) ⊙ up_proj(x)), f SiLU (SwiGLU) or GELU-tanh
/// (GeGLU). gate_proj and up_proj stay two named parameters stored side by side, so one GEMM computes both.
/// </summary>
internal sealed class GatedMlp
{
    private readonly Parameter gateUp;       // mlp.{gate,up}_proj.weight: [2I, C] (each [I, C])
    private readonly Parameter? gateUpBias;  // mlp.{gate,up}_proj.bias: [2I] (mlp_bias)
    private readonly Parameter down;         // mlp.down_proj.weight: [C, I]
    private readonly Parameter? downBias;    // mlp.down_proj.bias: [C] (mlp_bias)
    private readonly GateFunction function;

    /// <summary>Reads <c>{p}.{gate,up,down}_proj</c>.</summary>
    public GatedMlp(TransformerConfig cfg, ParameterBuilder p, GateFunction function)
    {
        int c = cfg.HiddenSize, inter = cfg.IntermediateSize;
        this.function = function;
        string[] gu = ["gate_proj", "up_proj"];
        gateUp = p.Stack(gu, "weight", inter, c).Stacked;
        gateUpBias = cfg.MlpBias ? p.Stack(gu, "bias", inter).Stacked : null;
        down = p.Tensor("down_proj.weight", c, inter);
        downBias = cfg.MlpBias ? p.Tensor("down_proj.bias", c) : null;
    }

    /// <summary>mlp.{gate,up}_proj.weight stacked: [2I, C].</summary>
    public Parameter GateUp => gateUp;

    /// <summary>mlp.{gate,up}_proj.bias stacked: [2I], or null.</summary>
    public Parameter? GateUpBias => gateUpBias;

    /// <summary>mlp.down_proj.weight: [C, I].</summary>
    public Parameter Down => down;

    /// <summary>mlp.down_proj.bias: [C], or null.</summary>
    public Parameter? DownBias => downBias;

    /// <summary>f of f(gate) ⊙ up.</summary>
    public GateFunction Function => function;

    /// <summary>x [N, C] → [N, C].</summary>
    public Variable Forward(Tape tape, Variable x)
    {
        var h = Ops.LinearGated(tape, x, gateUp, gateUpBias, function); // [N, I] (one pass in bfloat16)
        return Ops.Linear(tape, h, down, downBias);
    }
}
