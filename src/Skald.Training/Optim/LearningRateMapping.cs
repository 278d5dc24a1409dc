using Skald.Tensors.Autograd;
using Skald.Training.Config;

namespace Skald.Training.Optim;

/// <summary>sentence-transformers' learning_rate_mapping: other learning rates for the parameters whose names match.</summary>
public static class LearningRateMapping
{
    /// <summary>
    /// training.learning_rate_mapping: each parameter whose name matches a pattern (the first that does) trains at that
    /// rate, as a multiple of the base rate so the schedule applies to it too; a pattern that matches nothing is an
    /// error, as in sentence-transformers.
    /// </summary>
    public static void Apply(TrainingSection t, IReadOnlyList<Parameter> parameters)
    {
        if (t.LearningRateMapping.Count == 0) return;
        if (t.LearningRate <= 0) throw new TrainingException("training.learning_rate_mapping needs a positive training.learning_rate to scale from");
        var patterns = t.LearningRateMapping.Select(m => (Regex: new System.Text.RegularExpressions.Regex(m.Pattern), m.Pattern, m.LearningRate)).ToList();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in parameters)
        {
            foreach (var (regex, pattern, rate) in patterns)
            {
                if (!regex.IsMatch(p.Name)) continue;
                p.LearningRateScale = (float)(rate / t.LearningRate);
                used.Add(pattern);
                break;
            }
        }
        foreach (var (_, pattern, _) in patterns)
        {
            if (!used.Contains(pattern))
                throw new TrainingException($"training.learning_rate_mapping: '{pattern}' matches no trained parameter (names look like " +
                    $"{string.Join(", ", parameters.Take(3).Select(p => p.Name))}{(parameters.Any(p => p.Name.Contains('/')) ? ", " + parameters.First(p => p.Name.Contains('/')).Name : "")})");
        }
    }
}
