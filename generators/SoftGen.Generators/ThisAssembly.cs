namespace SoftGen.Generators;

internal static class ThisAssembly
{
    /// <summary>Written into [GeneratedCode] on emitted members.</summary>
    public const string Version = "0.1.0";
}
