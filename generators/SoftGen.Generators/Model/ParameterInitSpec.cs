namespace SoftGen.Generators.Model;

/// <summary>How a parameter is initialised: the same members as SoftGen.Training.ParameterInit.</summary>
internal enum ParameterInitSpec
{
    Zeros,
    KaimingUniform,
    GlorotUniform,
}
