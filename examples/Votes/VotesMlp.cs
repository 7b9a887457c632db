using SoftGen;

namespace Votes;

/// <summary>The recordings' 32 features to the six classes' vote fractions, trained with the KL loss (the contest's metric).</summary>
[SoftModel(Inputs = 32, Classes = 6)]
[Dense(128, Activation.Gelu)]
[Dense(64, Activation.Gelu)]
[Dense(6)]
[KLDivergence]
public partial class VotesMlp;
