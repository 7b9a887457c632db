// The ONNX protobuf classes (OnnxSharp) live in the namespace Onnx, which SoftGen.Onnx would shadow.
global using Proto = global::Onnx;
