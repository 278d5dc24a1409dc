namespace Skald.Retrieval.Mining;

/// <summary>
/// How well paraphrase mining finds known duplicates (<see cref="ParaphraseMining.Evaluate"/>; sentence-transformers'
/// <c>ParaphraseMiningEvaluator</c> metrics).
/// </summary>
/// <param name="AveragePrecision">The precision at each duplicate found, summed over the mined pairs best first, over the number of duplicates (the main metric).</param>
/// <param name="F1">The best F1 over every cut of the mined pairs at a duplicate.</param>
/// <param name="Precision">The precision at that cut.</param>
/// <param name="Recall">The recall at that cut.</param>
/// <param name="Threshold">The score halfway between that duplicate's and the next mined pair's: the cosine above which to call a pair a duplicate.</param>
/// <param name="Duplicates">The number of known duplicate pairs (after the transitive closure, when asked for).</param>
public readonly record struct ParaphraseMiningScores(double AveragePrecision, double F1, double Precision, double Recall, double Threshold, int Duplicates);
