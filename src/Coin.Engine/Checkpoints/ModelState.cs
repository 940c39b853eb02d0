using Coin.Abstractions.Plugins;
using Coin.Engine.Modeling;
using Coin.Nn.Safetensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Coin.Engine.Checkpoints;

/// <summary>The model's tensors under one naming scheme — <c>backbone.*</c>, <c>encoder.{modality}.*</c>,
/// <c>connector.{modality}.*</c> — saved to and loaded from one safetensors file (base models, checkpoints).</summary>
public static class ModelState
{
    public static IEnumerable<KeyValuePair<string, Tensor>> Tensors(MultimodalModel model, bool trainableOnly = false)
    {
        foreach (var (prefix, module) in Modules(model))
        {
            var entries = trainableOnly
                ? module.named_parameters().Where(p => p.parameter.requires_grad).Select(p => KeyValuePair.Create(p.name, (Tensor)p.parameter))
                : module.state_dict();
            foreach (var (name, tensor) in entries) yield return KeyValuePair.Create($"{prefix}.{name}", tensor);
        }
    }

    /// <summary>Writes atomically (temporary file, then rename).</summary>
    public static void Save(MultimodalModel model, string path, bool trainableOnly = false, IReadOnlyDictionary<string, string>? metadata = null)
        => SafetensorsWriter.Save(path, Tensors(model, trainableOnly), metadata);

    /// <summary>Copies every tensor of the file into the model. With <paramref name="complete"/>, the file must hold every
    /// tensor of the model; in any case a tensor the model lacks, or of another shape, is an error naming the file.</summary>
    public static void Load(MultimodalModel model, string path, bool complete)
    {
        using var file = SafetensorsFile.Open(path);
        var targets = Tensors(model).ToDictionary(kv => kv.Key, kv => kv.Value);
        var problems = new List<string>();
        foreach (var (name, entry) in file.Tensors)
        {
            if (!targets.TryGetValue(name, out var target)) problems.Add($"{name} is not in the model");
            else if (!entry.Shape.SequenceEqual(target.shape))
                problems.Add($"{name}: shape [{string.Join(", ", entry.Shape)}] in the file, [{string.Join(", ", target.shape)}] in the model");
        }
        if (complete)
            problems.AddRange(targets.Keys.Where(k => !file.Tensors.ContainsKey(k)).Select(k => $"{k} is missing"));
        if (problems.Count > 0)
            throw new CoinUserException($"{path}: does not match the model: {string.Join("; ", problems.Take(6))}{(problems.Count > 6 ? $" and {problems.Count - 6} more" : "")}");
        using var noGrad = no_grad();
        foreach (var name in file.Tensors.Keys)
        {
            using var loaded = file.Load(name, targets[name].dtype);
            targets[name].copy_(loaded);
        }
    }

    private static IEnumerable<(string Prefix, nn.Module Module)> Modules(MultimodalModel model)
    {
        yield return ("backbone", model.Backbone.Module);
        foreach (var (modality, encoder) in model.Encoders) yield return ($"encoder.{modality}", encoder.Module);
        foreach (var (modality, connector) in model.Connectors) yield return ($"connector.{modality}", connector.Module);
    }
}
