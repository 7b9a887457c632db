namespace SoftGen.Generators.Model;

/// <summary>How a parameter is initialised: the same members and values as SoftGen.Training.ParameterInit (TwinEnumTests).</summary>
internal enum ParameterInitSpec
{
    Zeros,
    KaimingUniform,
    GlorotUniform,
    Ones,
    Constant,
}
