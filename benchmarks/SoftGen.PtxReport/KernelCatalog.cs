using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using ILGPU;
using ILGPU.Backends.EntryPoints;

namespace PtxReport;

/// <summary>A kernel to compile: its name in the report, its method and how the runtime loads it.</summary>
internal sealed record KernelSource(string Name, MethodInfo Method, bool ExplicitlyGrouped)
{
    public EntryPointDescription EntryPoint => ExplicitlyGrouped
        ? EntryPointDescription.FromExplicitlyGroupedKernel(Method)
        : EntryPointDescription.FromImplicitlyGroupedKernel(Method);
}

/// <summary>Finds the kernels of a generated GPU program and of the optimizer by reflection.</summary>
internal static class KernelCatalog
{
    private const BindingFlags Statics = BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.DeclaredOnly;

    /// <summary>
    /// The kernels of <paramref name="model"/>'s generated GpuTrainingProgram, in declaration order: its own kernels and
    /// its one-line bindings of SoftGen.Gpu.Kernels' GEMMs to the model's layers, each compiled with the runtime kernel
    /// inlined. The generated class loads them with KernelLoaders.LoadKernel and a KernelConfig (explicitly grouped);
    /// its other static methods (the program's factory, helpers) return a value.
    /// </summary>
    public static IReadOnlyList<KernelSource> GeneratedKernels(Type model)
    {
        var program = model.GetNestedType("GpuTrainingProgram", BindingFlags.NonPublic | BindingFlags.Public)
            ?? throw new InvalidOperationException(
                $"{model.FullName} has no generated GpuTrainingProgram: the project must reference SoftGen.Gpu.");
        var kernels = program.GetMethods(Statics)
            .Where(m => m.ReturnType == typeof(void) && m.GetParameters().Length > 0 && m.GetParameters().All(p => IsKernelParameter(p.ParameterType)))
            .OrderBy(m => m.MetadataToken)
            .Select(m => new KernelSource(m.Name, m, ExplicitlyGrouped: true))
            .ToList();
        if (kernels.Count == 0) throw new InvalidOperationException($"No kernels found in {program.FullName}.");
        return kernels;
    }

    /// <summary>The optimizer kernels of SoftGen.Gpu (loaded with LoadAutoGroupedKernel: implicitly grouped).</summary>
    public static IReadOnlyList<KernelSource> OptimizerKernels()
    {
        var optimizer = typeof(SoftGen.Gpu.GpuProgram).Assembly.GetType("SoftGen.Gpu.GpuOptimizer")
            ?? throw new InvalidOperationException("SoftGen.Gpu.GpuOptimizer not found.");
        return optimizer.GetMethods(Statics)
            .Where(m => m.Name.EndsWith("Kernel", StringComparison.Ordinal) && m.GetParameters().FirstOrDefault()?.ParameterType == typeof(Index1D))
            .OrderBy(m => m.MetadataToken)
            .Select(m => new KernelSource(m.Name, m, ExplicitlyGrouped: false))
            .ToList();
    }

    /// <summary>The gradient clipping kernels of SoftGen.Gpu (loaded with LoadKernel and a KernelConfig: explicitly grouped).</summary>
    public static IReadOnlyList<KernelSource> ClippingKernels()
    {
        var clipping = typeof(SoftGen.Gpu.GpuProgram).Assembly.GetType("SoftGen.Gpu.GpuGradientClipping")
            ?? throw new InvalidOperationException("SoftGen.Gpu.GpuGradientClipping not found.");
        return clipping.GetMethods(Statics)
            .Where(m => m.Name.EndsWith("Kernel", StringComparison.Ordinal))
            .OrderBy(m => m.MetadataToken)
            .Select(m => new KernelSource(m.Name, m, ExplicitlyGrouped: true))
            .ToList();
    }

    private static bool IsKernelParameter(Type type) =>
        type.IsPrimitive || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ArrayView<>));
}
