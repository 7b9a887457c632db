using System;

namespace SoftGen.Distributed;

/// <summary>An MPI call returned an error code.</summary>
public sealed class MpiException(string function, int code)
    : Exception($"{function} failed with MPI error code {code}.")
{
    /// <summary>The MPI function that failed.</summary>
    public string Function { get; } = function;

    /// <summary>The error code it returned (MPI_SUCCESS is 0).</summary>
    public int Code { get; } = code;
}
