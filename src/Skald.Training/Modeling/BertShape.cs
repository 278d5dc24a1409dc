using System.Globalization;
using Skald.Models.Architectures;
using Skald.Models.Checkpoints;

namespace Skald.Training.Modeling;

/// <summary>Shape of a new BERT encoder (the config.json values that matter).</summary>
public sealed record BertShape(int Hidden = 128, int Layers = 2, int Heads = 4, int Intermediate = 512,
    int MaxPositions = 128, string HiddenAct = "gelu");
