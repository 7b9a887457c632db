using System;

namespace SoftGen;

/// <summary>
/// The processes that train one model together (data-parallel training): each process is a rank of the world and
/// trains on its share of every batch, and the trainer averages the gradients across the ranks every step. SoftGen's
/// core keeps no native dependency: SoftGen.Distributed's <c>MpiWorld</c> implements this over Open MPI, and
/// <see cref="TrainerOptions.Distributed"/> takes it.
/// </summary>
/// <remarks>
/// Every method is a collective: every rank must call it, in the same order, with the same lengths. The sums must come
/// out bit for bit the same on every rank (MPI_Allreduce does), so that every rank makes the same update.
/// </remarks>
public abstract class DistributedWorld
{
    /// <summary>This process's index in the world, 0 to <see cref="Size"/> - 1.</summary>
    public abstract int Rank { get; }

    /// <summary>The number of processes in the world.</summary>
    public abstract int Size { get; }

    /// <summary>The name of the machine this rank runs on.</summary>
    public abstract string HostName { get; }

    /// <summary>Replaces each value by its sum over every rank (MPI_Allreduce with MPI_SUM, in place).</summary>
    public abstract void AllReduceSum(Span<float> values);

    /// <summary>Replaces each value by its sum over every rank (MPI_Allreduce with MPI_SUM, in place).</summary>
    public abstract void AllReduceSum(Span<double> values);

    /// <summary>Copies <paramref name="root"/>'s values over every other rank's (MPI_Bcast).</summary>
    public abstract void Broadcast(Span<float> values, int root);

    /// <summary>Every rank's <paramref name="text"/>, in rank order (MPI_Allgather): for the checks made once, at creation.</summary>
    public abstract string[] AllGather(string text);
}
