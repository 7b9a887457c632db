using System;
using System.Runtime.InteropServices;

namespace SoftGen.Distributed;

/// <summary>
/// The few entry points and handles of Open MPI's libmpi that <see cref="MpiWorld"/> needs. Open MPI's handles are
/// the addresses of exported objects (MPI_COMM_WORLD is &amp;ompi_mpi_comm_world, MPI_FLOAT &amp;ompi_mpi_float, MPI_SUM
/// &amp;ompi_mpi_op_sum), so they are looked up in the loaded library rather than written as constants.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    public const int ThreadSerialized = 2; // Open MPI's MPI_THREAD_SERIALIZED
    public const int MaxProcessorName = 256; // MPI_MAX_PROCESSOR_NAME
    public static readonly nint InPlace = 1; // Open MPI's MPI_IN_PLACE, (void*)1

    public readonly nint Handle;
    public readonly nint CommWorld, Float, Double, Int, Char, OpSum;
    public readonly delegate* unmanaged<int*, byte***, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<nint, int*, int> CommRank, CommSize;
    public readonly delegate* unmanaged<byte*, int*, int> GetProcessorName;
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> AllReduce;
    public readonly delegate* unmanaged<void*, int, nint, int, nint, int> Bcast;
    public readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> AllGather;
    public readonly delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int> AllGatherV;
    public readonly delegate* unmanaged<nint, int, int> Abort;

    private MpiLibrary(nint handle)
    {
        Handle = handle;
        CommWorld = Export("ompi_mpi_comm_world");
        Float = Export("ompi_mpi_float");
        Double = Export("ompi_mpi_double");
        Int = Export("ompi_mpi_int");
        Char = Export("ompi_mpi_char");
        OpSum = Export("ompi_mpi_op_sum");
        InitThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export("MPI_Init_thread");
        Initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        Finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        GetProcessorName = (delegate* unmanaged<byte*, int*, int>)Export("MPI_Get_processor_name");
        AllReduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export("MPI_Bcast");
        AllGather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)Export("MPI_Allgather");
        AllGatherV = (delegate* unmanaged<void*, int, nint, void*, int*, int*, nint, nint, int>)Export("MPI_Allgatherv");
        Abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
    }

    /// <summary>
    /// Loads <paramref name="name"/> (Open MPI 4 and 5 ship libmpi.so.40). Throws a <see cref="DllNotFoundException"/>
    /// saying what to install when it is missing, and <see cref="NotSupportedException"/> when it is not Open MPI.
    /// </summary>
    public static MpiLibrary Load(string name)
    {
        if (!NativeLibrary.TryLoad(name, out var handle))
            throw new DllNotFoundException(
                $"Could not load {name}, Open MPI's library. Install Open MPI (Debian and Ubuntu: apt-get install openmpi-bin libopenmpi-dev) and start the program with mpirun.");
        if (!NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out _))
            throw new NotSupportedException(
                $"{name} is not Open MPI's libmpi (it exports no ompi_mpi_comm_world); SoftGen.Distributed binds Open MPI only (MPICH's handles are integers).");
        return new MpiLibrary(handle);
    }

    private nint Export(string symbol) => NativeLibrary.GetExport(Handle, symbol);
}
