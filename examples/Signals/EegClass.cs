namespace Signals;

/// <summary>The six classes of the HMS harmful-brain-activity contest, in its column order.</summary>
internal enum EegClass
{
    Seizure,
    /// <summary>Lateralised periodic discharges: sharp discharges every 0.5-2 s on one hemisphere.</summary>
    Lpd,
    /// <summary>Generalised periodic discharges: the same on every channel.</summary>
    Gpd,
    /// <summary>Lateralised rhythmic delta activity: a 0.8-3 Hz rhythm on one hemisphere.</summary>
    Lrda,
    /// <summary>Generalised rhythmic delta activity.</summary>
    Grda,
    /// <summary>None of the above: background rhythms, noise and artefacts.</summary>
    Other,
}

/// <summary>
/// What the simulator put into one window, which is what the annotators see: the main pattern and its strength
/// relative to the background (none for <see cref="EegClass.Other"/>), an optional weaker second pattern, how much each
/// looks like its lateral twin (an LPD spread to the other side looks generalised; a lopsided GPD looks lateralised),
/// and the number of artefacts.
/// </summary>
internal readonly record struct SampleTruth(
    EegClass Primary, double Strength, double TwinLikeness,
    EegClass? Secondary, double SecondaryStrength, double SecondaryTwinLikeness,
    int Artefacts);
