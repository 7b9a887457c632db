using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using SoftGen.Training;
using static SoftGen.Onnx.OnnxGraphBuilder;

namespace SoftGen.Onnx;

/// <summary>Translates a trainer's layer graph, weights and prediction temperature into an ONNX model.</summary>
internal sealed partial class OnnxModelWriter
{
    private const string InputName = "input", LogitsName = "logits", ProbabilitiesName = "probabilities";

    private readonly TrainerBase _trainer;
    private readonly ModelInfo _model;
    private readonly OnnxExportOptions _options;
    private readonly OnnxGraphBuilder _graph;
    private readonly IReadOnlyList<LayerInfo> _layers;

    /// <param name="trainer">The trained model: its layer graph, weights, running statistics and prediction temperature.</param>
    /// <param name="options">Opset, outputs, names and metadata (already checked).</param>
    /// <param name="layers">The layer graph; the model's own (ModelInfo.Layers) when null.</param>
    public OnnxModelWriter(TrainerBase trainer, OnnxExportOptions options, IReadOnlyList<LayerInfo>? layers = null)
    {
        _trainer = trainer;
        _model = trainer.Model;
        _layers = layers ?? _model.Layers;
        _options = options;
        _graph = new OnnxGraphBuilder(options.ModelName ?? _model.Name);
    }

    public Proto.ModelProto Build()
    {
        var layers = _layers;
        if (layers.Count == 0)
            throw new NotSupportedException($"Model {_model.Name} describes no layers (ModelInfo.Layers is empty); it cannot be exported to ONNX.");

        _graph.Graph.Input.Add(BatchTensor(InputName, Dims(layers[0].Input)));
        // The tensor that feeds each layer, for the residual shortcuts.
        var layerInputs = new string[layers.Count];
        string x = InputName;
        for (int n = 0; n < layers.Count; n++)
        {
            layerInputs[n] = x;
            bool last = n == layers.Count - 1;
            x = EmitLayer(layers[n], n, x, layerInputs, last ? LogitsName : null);
        }
        if (x != LogitsName) // the last layer was an identity at inference (a dropout)
            x = _graph.NodeInto(LogitsName, "output", "Identity", new[] { x });

        var outputDims = Dims(layers[^1].Output);
        if ((_options.Outputs & OnnxOutputs.Logits) != 0)
            _graph.Graph.Output.Add(BatchTensor(LogitsName, outputDims));
        if ((_options.Outputs & OnnxOutputs.Probabilities) != 0)
        {
            EmitProbabilities(x);
            _graph.Graph.Output.Add(BatchTensor(ProbabilitiesName, outputDims));
        }

        var model = new Proto.ModelProto
        {
            IrVersion = 8,
            ProducerName = "SoftGen",
            ProducerVersion = typeof(TrainerBase).Assembly.GetName().Version?.ToString() ?? "",
            Domain = "ai.softgen",
            ModelVersion = 1,
            DocString = _options.DocString ?? "",
            Graph = _graph.Graph,
        };
        model.OpsetImport.Add(new Proto.OperatorSetIdProto { Domain = "", Version = _options.Opset });
        AddMetadata(model, "softgen.model", _model.Name);
        AddMetadata(model, "softgen.declaration_hash", _model.DeclarationHash);
        AddMetadata(model, "softgen.prediction_temperature", _trainer.PredictionTemperature.ToString("R", CultureInfo.InvariantCulture));
        if (_options.ClassNames is { } names)
        {
            if (names.Count != _model.Classes)
                throw new ArgumentException($"{names.Count} class names were given for a model of {_model.Classes} classes.", "options");
            AddMetadata(model, "softgen.class_names", JsonSerializer.Serialize(names));
        }
        return model;
    }

    /// <summary>softmax (over axis 1: the classes, at every pixel of a per-pixel head) or sigmoid of logits / T.</summary>
    private void EmitProbabilities(string logits)
    {
        float temperature = _trainer.PredictionTemperature;
        string z = temperature == 1f ? logits : _graph.Node("output", "Div", new[] { logits, _graph.Scalar(temperature) });
        if (_model.Loss == LossKind.SigmoidCrossEntropy)
            _graph.NodeInto(ProbabilitiesName, "output", "Sigmoid", new[] { z });
        else
            _graph.NodeInto(ProbabilitiesName, "output", "Softmax", new[] { z }, Int("axis", 1));
    }

    private static void AddMetadata(Proto.ModelProto model, string key, string value)
        => model.MetadataProps.Add(new Proto.StringStringEntryProto { Key = key, Value = value });

    /// <summary>A tensor's dimensions after the batch: [C, H, W] for an image, [C, L] for a signal, [F] flat.</summary>
    private static long[] Dims(TensorShape shape) => Rank(shape) switch
    {
        4 => new long[] { shape.Channels, shape.Height, shape.Width },
        3 => new long[] { shape.Channels, shape.Width },
        _ => new long[] { shape.Channels },
    };

    /// <summary>The rank of a batch of tensors of this shape: 4 (NCHW), 3 (NCL) or 2 (NF).</summary>
    private static int Rank(TensorShape shape) => shape.Signal ? 3 : shape.Spatial ? 4 : 2;

    /// <summary>A parameter in PyTorch's layout (GetParameter), as an initializer of PyTorch's shape under its state_dict name.</summary>
    private string Parameter(string name) => Parameter(name, null);

    /// <summary>As <see cref="Parameter(string)"/>, reshaped to <paramref name="dims"/> (same element count and order).</summary>
    private string Parameter(string name, long[]? dims)
    {
        var info = _model.FindParameter(name)
            ?? throw new InvalidOperationException($"Model {_model.Name} has no parameter {name}, which its layer graph needs.");
        var values = new float[info.Length];
        _trainer.GetParameter(name, values);
        return _graph.Initializer(name, dims ?? Array.ConvertAll(info.Shape, d => (long)d), values);
    }

    /// <summary>A batch norm buffer (running_mean, running_var) as an initializer [Channels] under its state_dict name.</summary>
    private string Buffer(string name)
    {
        var info = _model.FindBuffer(name)
            ?? throw new InvalidOperationException($"Model {_model.Name} has no buffer {name}, which its layer graph needs.");
        var values = new float[info.Length];
        _trainer.GetBuffer(name, values);
        return _graph.Initializer(name, new long[] { info.Length }, values);
    }
}
