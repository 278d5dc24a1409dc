using Skald.Distributed;
using Skald.Training.Config;
using Skald.Training.Data;

namespace Skald.Training.Trainer;

// SentenceTrainer, continued: the batches of an epoch and, under mpirun, how they are shared among the ranks.
public sealed partial class SentenceTrainer
{
    /// <summary>Refuses what cannot run data-parallel, before any work: a loss that does not span ranks, a batch smaller than the group.</summary>
    private void CheckDataParallel(ICommunicator comm)
    {
        if (comm.Size == 1) return;
        if (!setup.Loss.SpansRanks)
            throw new TrainingException($"loss.type {setup.Loss.Name} does not run under mpirun yet (its normalisation would change " +
                "with the number of ranks); run it in one process");
        if (config.Training.BatchSize < comm.Size)
            throw new TrainingException($"training.batch_size {config.Training.BatchSize} is smaller than the {comm.Size} ranks; " +
                "it is the global batch, split across ranks");
    }

    /// <summary>This rank's rows of a global batch (contiguous, rank order).</summary>
    private static ArraySegment<int> LocalRows(int[] rows, ICommunicator comm)
    {
        var shard = Shard.Of(rows.Length, comm.Rank, comm.Size);
        if (shard.Count == 0)
            throw new TrainingException($"a batch of {rows.Length} rows cannot give each of the {comm.Size} ranks a row; " +
                "use a larger training.batch_size or fewer ranks");
        return new ArraySegment<int>(rows, shard.Start, shard.Count);
    }

    /// <summary>
    /// Every rank starts at the same step (a resume on a folder some rank cannot see fails here) with rank 0's weights.
    /// </summary>
    private static void StartTogether(ICommunicator comm, int step, IReadOnlyList<Parameter> parameters)
    {
        var steps = new int[comm.Size];
        comm.AllGather(step, steps);
        if (steps.Any(s => s != steps[0]))
            throw new TrainingException($"the ranks start at different steps ({string.Join(", ", steps)}): output.dir must be one " +
                "folder every rank reads (a shared file system on a cluster)");
        foreach (var p in parameters) comm.Broadcast(p.Data.Span);
    }

    /// <summary>
    /// Epoch <paramref name="epoch"/>'s batches, over its rows (<see cref="TextDataset.ForEpoch"/>), which the batches then
    /// read; under mpirun without the batches too small to give every rank a row (<see cref="BatchPlanner.ForRanks"/>).
    /// </summary>
    private IReadOnlyList<PlannedBatch> Plan(int epoch)
    {
        if (config.Data.SameDatasetWithinBatch) // FlagEmbedding's batches of one file each, and the rows they read
            return SameDatasetBatches.PlanEpoch(setup.Train, config.Training.BatchSize, config.Training.Seed, epoch, out epochData);
        epochData = [.. setup.Train.Select(d => d.ForEpoch(config.Training.Seed, epoch))];
        var plan = BatchPlanner.PlanEpoch(epochData, config.Training.BatchSize, config.Training.Shuffle, config.Training.NoDuplicates,
            config.Data.Sampling, config.Training.Seed, epoch, config.Training.GroupByLength, config.Training.GroupByLabel);
        int ranks = setup.Communicator.Size;
        return ranks == 1 || setup.Loss.TakesGlobalBatch ? plan : BatchPlanner.ForRanks(plan, ranks);
    }
}
