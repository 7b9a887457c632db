using System;
using System.Text;
using System.Threading;

namespace SoftGen.Distributed;

/// <summary>
/// MPI_COMM_WORLD of Open MPI: the processes mpirun started. Give it to <see cref="TrainerOptions.Distributed"/> to
/// train data-parallel: <c>using var world = MpiWorld.Initialize();</c> at the start of Main, on every rank.
/// </summary>
/// <remarks>
/// MPI is initialised once per process (MPI_Init_thread with MPI_THREAD_SERIALIZED: any thread may call, one at a
/// time) and finalised by <see cref="Dispose"/>, after which it cannot be initialised again. A program started without
/// mpirun is a world of one rank. The collectives allocate no managed memory but <see cref="AllGather"/>.
/// </remarks>
public sealed unsafe class MpiWorld : DistributedWorld, IDisposable
{
    private static int s_initialized;
    private readonly MpiLibrary _mpi;
    private bool _disposed;

    private MpiWorld(MpiLibrary mpi, int rank, int size, string hostName)
    {
        _mpi = mpi;
        Rank = rank;
        Size = size;
        HostName = hostName;
    }

    public override int Rank { get; }
    public override int Size { get; }
    public override string HostName { get; }

    /// <summary>Initialises MPI in this process (once) and returns its world.</summary>
    /// <param name="library">Open MPI's library: libmpi.so.40 (Open MPI 4 and 5) unless the system names it otherwise.</param>
    /// <exception cref="DllNotFoundException">Open MPI is not installed.</exception>
    /// <exception cref="InvalidOperationException">MPI was already initialised in this process.</exception>
    public static MpiWorld Initialize(string library = "libmpi.so.40")
    {
        ArgumentNullException.ThrowIfNull(library);
        var mpi = MpiLibrary.Load(library);
        int already;
        Check(mpi.Initialized(&already), "MPI_Initialized");
        if (already != 0 || Interlocked.Exchange(ref s_initialized, 1) != 0)
            throw new InvalidOperationException("MPI is already initialised in this process; call MpiWorld.Initialize once, and share the world.");
        int provided;
        Check(mpi.InitThread(null, null, MpiLibrary.ThreadSerialized, &provided), "MPI_Init_thread");
        if (provided < MpiLibrary.ThreadSerialized)
        {
            mpi.Finalize();
            throw new NotSupportedException($"Open MPI offers thread level {provided}; SoftGen needs MPI_THREAD_SERIALIZED ({MpiLibrary.ThreadSerialized}).");
        }
        int rank, size, length;
        Check(mpi.CommRank(mpi.CommWorld, &rank), "MPI_Comm_rank");
        Check(mpi.CommSize(mpi.CommWorld, &size), "MPI_Comm_size");
        byte* name = stackalloc byte[MpiLibrary.MaxProcessorName + 1];
        Check(mpi.GetProcessorName(name, &length), "MPI_Get_processor_name");
        return new MpiWorld(mpi, rank, size, Encoding.UTF8.GetString(name, length));
    }

    public override void AllReduceSum(Span<float> values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        fixed (float* p = values)
            Check(_mpi.AllReduce((void*)MpiLibrary.InPlace, p, values.Length, _mpi.Float, _mpi.OpSum, _mpi.CommWorld), "MPI_Allreduce");
    }

    public override void AllReduceSum(Span<double> values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        fixed (double* p = values)
            Check(_mpi.AllReduce((void*)MpiLibrary.InPlace, p, values.Length, _mpi.Double, _mpi.OpSum, _mpi.CommWorld), "MPI_Allreduce");
    }

    public override void Broadcast(Span<float> values, int root)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        fixed (float* p = values)
            Check(_mpi.Bcast(p, values.Length, _mpi.Float, root, _mpi.CommWorld), "MPI_Bcast");
    }

    public override string[] AllGather(string text)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(text);
        byte[] mine = Encoding.UTF8.GetBytes(text);
        var lengths = new int[Size];
        var offsets = new int[Size];
        int length = mine.Length;
        fixed (int* l = lengths)
            Check(_mpi.AllGather(&length, 1, _mpi.Int, l, 1, _mpi.Int, _mpi.CommWorld), "MPI_Allgather");
        int total = 0;
        for (int r = 0; r < Size; r++)
        {
            offsets[r] = total;
            total = checked(total + lengths[r]);
        }
        var all = new byte[Math.Max(total, 1)];
        fixed (byte* m = mine)
        fixed (byte* a = all)
        fixed (int* l = lengths)
        fixed (int* o = offsets)
            Check(_mpi.AllGatherV(m, length, _mpi.Char, a, l, o, _mpi.Char, _mpi.CommWorld), "MPI_Allgatherv");
        var texts = new string[Size];
        for (int r = 0; r < Size; r++) texts[r] = Encoding.UTF8.GetString(all, offsets[r], lengths[r]);
        return texts;
    }

    /// <summary>
    /// Ends every process of the world at once (MPI_Abort), for an error this rank cannot recover from; the others
    /// would otherwise wait in their next collective.
    /// </summary>
    public void Abort(int errorCode = 1) => _mpi.Abort(_mpi.CommWorld, errorCode);

    /// <summary>Finalises MPI (MPI_Finalize): a collective, so every rank must dispose its world. Safe to call more than once.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Check(_mpi.Finalize(), "MPI_Finalize");
    }

    private static void Check(int code, string function)
    {
        if (code != 0) throw new MpiException(function, code);
    }
}
