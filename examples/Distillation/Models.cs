using SoftGen;

namespace Distillation;

/// <summary>A teacher: two wide hidden layers. Three of them, seeded apart, form the ensemble.</summary>
[SoftModel(Inputs = 64, Classes = 10)]
[Dense(256, Activation.Relu)]
[Dense(256, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy]
public partial class TeacherMlp;

/// <summary>The student, trained on hard (one-hot) labels.</summary>
[SoftModel(Inputs = 64, Classes = 10)]
[Dense(16, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy]
public partial class StudentMlp;

/// <summary>
/// The same student network, trained on the ensemble's probabilities at T = 4: the loss is
/// T^2 * CE(target, softmax(z / 4)) (Hinton et al.), and predictions use T = 1.
/// </summary>
[SoftModel(Inputs = 64, Classes = 10)]
[Dense(16, Activation.Relu)]
[Dense(10)]
[SoftmaxCrossEntropy(Temperature = 4f)]
public partial class DistilledStudentMlp;
