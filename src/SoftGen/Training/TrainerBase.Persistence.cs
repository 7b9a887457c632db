using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using SoftGen.Persistence;

namespace SoftGen.Training;

// Weights and checkpoints as safetensors files. A weights file holds the parameters and buffers under their state_dict
// names ("layers.0.weight" as [out, in]; a batch norm's running_mean and running_var F32 [C], num_batches_tracked I64 []),
// so PyTorch's safetensors loader reads it straight into the equivalent module (load_state_dict with strict=True);
// a checkpoint adds the optimizer's moments, the step count and Fit's shuffle state, so that training resumed from
// it ends with the same weights, bit for bit, as training that was never stopped.
public abstract unsafe partial class TrainerBase
{
    /// <summary>
    /// Saves the parameters and buffers to a safetensors file, atomically: a temporary file in the same folder, flushed to the disk,
    /// then renamed over <paramref name="path"/>. If the save fails, a file already at <paramref name="path"/> is left as it was.
    /// </summary>
    /// <remarks>
    /// Tensors are named as in PyTorch's state_dict and are F32, but for batch norms' num_batches_tracked (I64 scalars,
    /// as PyTorch saves them); __metadata__ holds the model's name, its declaration hash
    /// and the <see cref="PredictionTemperature"/> (see <see cref="FileKeys"/>). With <see cref="TrainerOptions.Distributed"/>,
    /// only rank 0 writes the file (the others return at once, holding the same weights); every rank can load it.
    /// </remarks>
    public void SaveWeights(string path) => SaveWeights(path, wrap: null);

    /// <summary>Writes the weights file (see <see cref="SaveWeights(string)"/>) to a stream.</summary>
    public void SaveWeights(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(_disposed, this);
        SafeTensorsWriter.Write(destination, Tensors(WeightStorage(willWrite: false)), Metadata(FileKeys.WeightsKind));
    }

    /// <summary>The save with a hook on the temporary file's stream, so that tests can make it fail part-way.</summary>
    internal void SaveWeights(string path, Func<Stream, Stream>? wrap)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (WorldRank != 0) return; // distributed: every rank holds the same weights, and rank 0 writes them
        var tensors = Tensors(WeightStorage(willWrite: false));
        var metadata = Metadata(FileKeys.WeightsKind);
        AtomicFile.Write(path, stream => SafeTensorsWriter.Write(stream, tensors, metadata), wrap);
    }

    /// <summary>
    /// Loads the parameters and buffers from a safetensors file: a weights file, a checkpoint (its optimizer state is
    /// then ignored), or a file PyTorch saved from the equivalent module's state_dict (batch norms' num_batches_tracked
    /// as I64). A saved <see cref="PredictionTemperature"/> is restored too. The optimizer's state and the step count
    /// are kept, as with <see cref="SetParameter"/>.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="requireSameDeclaration">
    /// When true (the default), a file whose metadata carries a declaration hash must carry this model's: the same
    /// layers, activations and loss. A file without SoftGen's metadata (one saved by PyTorch) is checked by names and
    /// shapes alone.
    /// </param>
    /// <exception cref="InvalidDataException">
    /// The file is corrupt, or its tensors or declaration do not fit this model; the message lists every difference.
    /// Nothing is changed: every tensor is read and checked (finite values only) before any is written.
    /// </exception>
    public void LoadWeights(string path, bool requireSameDeclaration = true)
    {
        using var stream = SafeTensorsFile.OpenRead(path);
        LoadWeights(stream, path, requireSameDeclaration);
    }

    /// <summary>Loads the parameters from a stream holding a safetensors file (see <see cref="LoadWeights(string, bool)"/>).</summary>
    public void LoadWeights(Stream source, bool requireSameDeclaration = true) =>
        LoadWeights(SafeTensorsFile.Seekable(source), "the stream", requireSameDeclaration);

    private void LoadWeights(Stream stream, string source, bool requireSameDeclaration)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var reader = SafeTensorsReader.Open(stream, source);
        var expected = WeightStorage(willWrite: true);
        CheckFits(reader.Header, source, expected, requireSameDeclaration, ignoreOptimizerTensors: true);
        float? temperature = ParseTemperature(reader.Header, source);
        var values = ReadChecked(reader, expected);
        Store(expected, values);
        if (temperature is { } t) _predictionTemperature = t;
        GC.KeepAlive(this);
    }

    /// <summary>
    /// Saves everything training needs to go on exactly where it is: the parameters and buffers, the optimizer's moment buffers
    /// (named "optimizer.exp_avg.layers.0.weight" and so on), the step count, the seed, Fit's shuffle and mixup
    /// streams and the prediction temperature. Atomic, as <see cref="SaveWeights(string)"/>. The file is also a
    /// valid weights file.
    /// </summary>
    public void SaveCheckpoint(string path) => SaveCheckpoint(path, wrap: null);

    /// <summary>Writes the checkpoint (see <see cref="SaveCheckpoint(string)"/>) to a stream.</summary>
    public void SaveCheckpoint(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ObjectDisposedException.ThrowIf(_disposed, this);
        SafeTensorsWriter.Write(destination, Tensors(CheckpointStorage(willWrite: false)), CheckpointMetadata());
    }

    internal void SaveCheckpoint(string path, Func<Stream, Stream>? wrap)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (WorldRank != 0) return; // distributed: rank 0 writes, every rank reads
        var tensors = Tensors(CheckpointStorage(willWrite: false));
        var metadata = CheckpointMetadata();
        AtomicFile.Write(path, stream => SafeTensorsWriter.Write(stream, tensors, metadata), wrap);
    }

    /// <summary>
    /// Restores a checkpoint saved by a trainer of the same model, optimizer kind and <see cref="TrainerOptions.Seed"/>
    /// (dropout masks and mixup draws derive from the seed): parameters, buffers, moments, step count, the shuffle and mixup
    /// streams and the prediction temperature. Training on after it with the same data and batch size gives the same
    /// weights, bit for bit, as if training had never stopped (CPU backend; the thread count does not matter). The
    /// optimizer's hyper-parameters are this trainer's own (so a learning rate can be changed on resuming), but its
    /// <see cref="TrainerOptions.Schedule"/> must be the one the checkpoint was saved under: the step count is the
    /// schedule's position, and it goes on from there.
    /// </summary>
    /// <exception cref="InvalidDataException">
    /// The file is corrupt, is not a checkpoint, or belongs to another model, optimizer kind, seed or learning-rate
    /// schedule; nothing is changed.
    /// </exception>
    public void LoadCheckpoint(string path)
    {
        using var stream = SafeTensorsFile.OpenRead(path);
        LoadCheckpoint(stream, path);
    }

    /// <summary>Restores a checkpoint from a stream (see <see cref="LoadCheckpoint(string)"/>).</summary>
    public void LoadCheckpoint(Stream source) => LoadCheckpoint(SafeTensorsFile.Seekable(source), "the stream");

    private void LoadCheckpoint(Stream stream, string source)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var reader = SafeTensorsReader.Open(stream, source);
        var header = reader.Header;

        string? kind = header.GetMetadata(FileKeys.Kind);
        if (kind != FileKeys.CheckpointKind)
            throw SafeTensorsHeader.Bad(source, kind is null
                ? $"it is not a SoftGen checkpoint (its __metadata__ has no {FileKeys.Kind}); use LoadWeights for a weights file"
                : $"it is a {kind} file, not a checkpoint: it has no optimizer state, step count or shuffle state; use LoadWeights");
        string? optimizer = header.GetMetadata(FileKeys.Optimizer);
        if (optimizer != _options.Optimizer.Kind.ToString())
            throw SafeTensorsHeader.Bad(source,
                $"the checkpoint's optimizer is {optimizer ?? "not recorded"}, but this trainer's is {_options.Optimizer.Kind}; resume with the optimizer it was saved with");
        string? seed = header.GetMetadata(FileKeys.Seed);
        if (seed != _options.Seed.ToString(CultureInfo.InvariantCulture))
            throw SafeTensorsHeader.Bad(source, seed is null
                ? $"its __metadata__ has no {FileKeys.Seed}"
                : $"the checkpoint was saved by a trainer with Seed {seed}, but this one has Seed {_options.Seed}; dropout masks and mixup draws derive from the seed, so resume with TrainerOptions.Seed = {seed}");
        string? schedule = header.GetMetadata(FileKeys.Schedule);
        if (schedule is not null && schedule != ScheduleText)
            throw SafeTensorsHeader.Bad(source,
                $"the checkpoint was saved under the learning-rate schedule {schedule}, but this trainer's is {ScheduleText}; the run would not go on as it was, so resume with TrainerOptions.Schedule set as it was saved");
        long step = ParseStep(header, source);
        var shuffle = ParseRandomState(header, FileKeys.ShuffleState, source)!.Value;
        var mixup = ParseRandomState(header, FileKeys.MixupState, source);
        float? temperature = ParseTemperature(header, source);

        var expected = CheckpointStorage(willWrite: true);
        CheckFits(header, source, expected, requireSameDeclaration: true, ignoreOptimizerTensors: false);
        var values = ReadChecked(reader, expected);

        Store(expected, values);
        _step = step;
        _shuffle = shuffle;
        _mixupSeeded = mixup.HasValue;
        _mixupRandom = mixup.GetValueOrDefault();
        if (temperature is { } t) _predictionTemperature = t;
        GC.KeepAlive(this);
    }

    /// <summary>
    /// A tensor of the file and where it lives in this trainer: a float tensor's layout in one of the flat buffers
    /// (parameters, moments or state), or a batch norm's num_batches_tracked (<see cref="BatchesTracked"/> &gt;= 0).
    /// </summary>
    private readonly struct StoredTensor(string name, ParameterInfo? layout, float* storage, bool nonNegative, int batchesTracked = -1)
    {
        public string Name { get; } = name;
        /// <summary>The float tensor's layout; null for num_batches_tracked.</summary>
        public ParameterInfo? Layout { get; } = layout;
        public float* Storage { get; } = storage;
        /// <summary>A second moment or a running variance: negative values are as invalid as NaN.</summary>
        public bool NonNegative { get; } = nonNegative;
        /// <summary>The batch norm's index in <see cref="ModelInfo.BatchNorms"/> for num_batches_tracked; -1 otherwise.</summary>
        public int BatchesTracked { get; } = batchesTracked;
        public bool IsInt64 => BatchesTracked >= 0;
        public string DType => IsInt64 ? "I64" : "F32";
        public int[] Shape => Layout?.Shape ?? Array.Empty<int>();
        public int Length => Layout?.Length ?? 1;
    }

    /// <summary>A file's values, read and checked: one of the two arrays per tensor, as its dtype.</summary>
    private readonly record struct LoadedValues(float[]?[] Floats, long[] Integers);

    /// <summary>The parameters, then the buffers. Saves read the host storage (willWrite false); loads write it.</summary>
    private List<StoredTensor> WeightStorage(bool willWrite)
    {
        var host = _program.AccessHost(willWrite);
        var result = new List<StoredTensor>(_model.Parameters.Count + _model.Buffers.Count);
        foreach (var p in _model.Parameters) result.Add(new StoredTensor(p.Name, p, host.Parameters, false));
        foreach (var b in _model.Buffers)
            result.Add(b.IsInt64
                ? new StoredTensor(b.Name, null, null, false, b.Index)
                : new StoredTensor(b.Name, b.StateLayout, host.State, b.Kind == BufferKind.RunningVar));
        return result;
    }

    /// <summary>The weights' tensors and the optimizer's moments of every parameter (buffers have none).</summary>
    private List<StoredTensor> CheckpointStorage(bool willWrite)
    {
        var result = WeightStorage(willWrite);
        var host = _program.AccessHost(willWrite);
        if (host.Moment1Name is { } first)
            foreach (var p in _model.Parameters)
                result.Add(new StoredTensor(FileKeys.OptimizerPrefix + first + "." + p.Name, p, host.Moment1, false));
        if (host.Moment2Name is { } second)
            foreach (var p in _model.Parameters)
                result.Add(new StoredTensor(FileKeys.OptimizerPrefix + second + "." + p.Name, p, host.Moment2, true));
        return result;
    }

    private List<SafeTensor> Tensors(List<StoredTensor> stored)
    {
        var result = new List<SafeTensor>(stored.Count);
        foreach (var s in stored)
        {
            if (s.IsInt64)
            {
                result.Add(SafeTensor.FromInt64(s.Name, s.Shape, new[] { _batchesTracked[s.BatchesTracked] }));
                continue;
            }
            var values = new float[s.Length];
            ParameterLayout.Read(s.Storage, s.Layout!, values);
            result.Add(new SafeTensor(s.Name, s.Shape, values));
        }
        GC.KeepAlive(this);
        return result;
    }

    /// <summary>Writes values that <see cref="ReadChecked"/> accepted into the trainer.</summary>
    private void Store(List<StoredTensor> expected, LoadedValues values)
    {
        for (int n = 0; n < expected.Count; n++)
        {
            var e = expected[n];
            if (e.IsInt64) _batchesTracked[e.BatchesTracked] = values.Integers[n];
            else ParameterLayout.Write(e.Storage, e.Layout!, values.Floats[n]);
        }
    }

    private List<KeyValuePair<string, string>> Metadata(string kind) => new()
    {
        new(FileKeys.Format, "pt"),
        new(FileKeys.Kind, kind),
        new(FileKeys.Model, _model.Name),
        new(FileKeys.DeclarationHash, _model.DeclarationHash),
        new(FileKeys.PredictionTemperature, _predictionTemperature.ToString("R", CultureInfo.InvariantCulture)),
    };

    private List<KeyValuePair<string, string>> CheckpointMetadata()
    {
        var metadata = Metadata(FileKeys.CheckpointKind);
        var o = _options.Optimizer;
        metadata.Add(new(FileKeys.Step, _step.ToString(CultureInfo.InvariantCulture)));
        metadata.Add(new(FileKeys.Seed, _options.Seed.ToString(CultureInfo.InvariantCulture)));
        metadata.Add(new(FileKeys.Optimizer, o.Kind.ToString()));
        metadata.Add(new(FileKeys.OptimizerSettings, o.Kind switch
        {
            OptimizerKind.Sgd => FormattableString.Invariant($"lr={o.LearningRate:R} momentum={o.Momentum:R}"),
            OptimizerKind.Adam => FormattableString.Invariant($"lr={o.LearningRate:R} betas=({o.Beta1:R}, {o.Beta2:R}) eps={o.Epsilon:R}"),
            _ => FormattableString.Invariant($"lr={o.LearningRate:R} betas=({o.Beta1:R}, {o.Beta2:R}) eps={o.Epsilon:R} weight_decay={o.WeightDecay:R}"),
        }));
        metadata.Add(new(FileKeys.Schedule, ScheduleText));
        metadata.Add(new(FileKeys.ShuffleState, StateText(_shuffle)));
        metadata.Add(new(FileKeys.MixupState, _mixupSeeded ? StateText(_mixupRandom) : "none"));
        return metadata;
    }

    private string ScheduleText => _options.Schedule?.ToString() ?? "none";

    private static string StateText(DeterministicRandom random)
    {
        var (s0, s1, s2, s3) = random.State;
        return $"{s0:x16},{s1:x16},{s2:x16},{s3:x16}";
    }

    /// <summary>Names, dtypes, shapes and the declaration hash, with every difference in one message.</summary>
    private void CheckFits(SafeTensorsHeader header, string source, List<StoredTensor> expected, bool requireSameDeclaration, bool ignoreOptimizerTensors)
    {
        var problems = new List<string>();
        string? hash = header.GetMetadata(FileKeys.DeclarationHash);
        if (requireSameDeclaration && hash is not null && hash != _model.DeclarationHash)
            problems.Add($"it was saved from model {header.GetMetadata(FileKeys.Model) ?? "(unnamed)"} with declaration hash {hash}, " +
                $"but {_model.Name}'s declaration hash is {_model.DeclarationHash}: the layers, activations or loss differ");

        var wanted = new HashSet<string>(StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var e in expected)
        {
            wanted.Add(e.Name);
            var t = header.Find(e.Name);
            if (t is null)
                missing.Add(e.Name);
            else if (t.DType != e.DType)
                problems.Add($"'{e.Name}' has dtype {t.DType}; SoftGen reads {e.DType}");
            else if (!t.SameShape(e.Shape))
                problems.Add($"'{e.Name}' is {t.ShapeText} in the file, but {SafeTensorInfo.FormatShape(e.Shape)} in {_model.Name}");
        }
        var unexpected = new List<string>();
        foreach (var t in header.Tensors)
            if (!wanted.Contains(t.Name) && !(ignoreOptimizerTensors && t.Name.StartsWith(FileKeys.OptimizerPrefix, StringComparison.Ordinal)))
                unexpected.Add(t.Name);
        if (missing.Count > 0) problems.Add($"it lacks {List(missing)}");
        if (unexpected.Count > 0) problems.Add($"it has tensors {_model.Name} does not: {List(unexpected)}");
        if (problems.Count > 0)
            throw SafeTensorsHeader.Bad(source, $"it does not fit model {_model.Name}: " + string.Join("; ", problems));
    }

    private static string List(List<string> names) =>
        names.Count <= 8 ? string.Join(", ", names) : string.Join(", ", names.GetRange(0, 8)) + $" and {names.Count - 8} more";

    /// <summary>Reads every expected tensor into memory and checks its values; nothing is written yet.</summary>
    private static LoadedValues ReadChecked(SafeTensorsReader reader, List<StoredTensor> expected)
    {
        var values = new LoadedValues(new float[expected.Count][], new long[expected.Count]);
        Span<long> integer = stackalloc long[1];
        for (int n = 0; n < expected.Count; n++)
        {
            var e = expected[n];
            if (e.IsInt64)
            {
                reader.ReadInt64(reader.Header.Find(e.Name)!, integer);
                if (integer[0] < 0)
                    throw SafeTensorsHeader.Bad(reader.Source, $"tensor '{e.Name}' is {integer[0]}; a count of batches cannot be negative; nothing was loaded");
                values.Integers[n] = integer[0];
                continue;
            }
            var v = values.Floats[n] = new float[e.Length];
            reader.ReadFloat32(reader.Header.Find(e.Name)!, v);
            for (int k = 0; k < v.Length; k++)
                if (!float.IsFinite(v[k]) || (e.NonNegative && v[k] < 0f))
                    throw SafeTensorsHeader.Bad(reader.Source,
                        $"tensor '{e.Name}' element {ElementText(e.Shape, k)} is {v[k].ToString("R", CultureInfo.InvariantCulture)}; " +
                        (!e.NonNegative ? "values must be finite"
                            : e.Name.StartsWith(FileKeys.OptimizerPrefix, StringComparison.Ordinal) ? "a second moment must be finite and not negative"
                            : "a running variance must be finite and not negative") + "; nothing was loaded");
        }
        return values;
    }

    private static long ParseStep(SafeTensorsHeader header, string source)
    {
        string? text = header.GetMetadata(FileKeys.Step);
        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long step))
            throw SafeTensorsHeader.Bad(source, text is null
                ? $"its __metadata__ has no {FileKeys.Step}"
                : $"its {FileKeys.Step} is '{text}', not a non-negative integer");
        return step;
    }

    /// <summary>A generator's state from the metadata: null for "none" (a stream not used yet) or an absent mixup state.</summary>
    private static DeterministicRandom? ParseRandomState(SafeTensorsHeader header, string key, string source)
    {
        string? text = header.GetMetadata(key);
        if (text is null && key == FileKeys.MixupState) return null;
        if (text is null) throw SafeTensorsHeader.Bad(source, $"its __metadata__ has no {key}");
        if (text == "none" && key == FileKeys.MixupState) return null;
        var words = text.Split(',');
        var s = new ulong[4];
        bool ok = words.Length == 4;
        for (int k = 0; ok && k < 4; k++)
            ok = words[k].Length is > 0 and <= 16 && ulong.TryParse(words[k], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out s[k]);
        if (!ok)
            throw SafeTensorsHeader.Bad(source, $"its {key} is '{text}', not four hexadecimal 64-bit words separated by commas");
        if ((s[0] | s[1] | s[2] | s[3]) == 0)
            throw SafeTensorsHeader.Bad(source, $"its {key} is all zeros, a state the generator never reaches");
        return DeterministicRandom.FromState(s[0], s[1], s[2], s[3]);
    }

    /// <summary>The saved prediction temperature, or null when the file has none (one PyTorch saved).</summary>
    private static float? ParseTemperature(SafeTensorsHeader header, string source)
    {
        string? text = header.GetMetadata(FileKeys.PredictionTemperature);
        if (text is null) return null;
        if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float t) || !(t > 0f) || !float.IsFinite(t))
            throw SafeTensorsHeader.Bad(source, $"its {FileKeys.PredictionTemperature} is '{text}', not a positive finite number");
        return t;
    }

    /// <summary>Element k of a row-major tensor as its index in the tensor's shape, e.g. [3, 0, 2, 1].</summary>
    private static string ElementText(int[] shape, int k)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = k % shape[d];
            k /= shape[d];
        }
        return "[" + string.Join(", ", index) + "]";
    }
}
