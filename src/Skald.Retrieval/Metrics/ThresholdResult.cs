namespace Skald.Retrieval.Metrics;

/// <summary>Best-threshold result: the metric, the threshold, and for F1 its precision and recall.</summary>
public readonly record struct ThresholdResult(double Value, double Threshold, double Precision = 0, double Recall = 0);
