using Coin.Abstractions.Plugins;
using Coin.Nn.Quantization;
using TorchSharp;
using static TorchSharp.torch;

namespace Coin.Nn.Safetensors;

/// <summary>Copies checkpoint tensors into a module's parameters and buffers by name, converting dtypes, and
/// reports every missing, unexpected or mis-shaped tensor in one error.</summary>
public static class ModuleWeights
{
    /// <param name="module">The module to fill; its state_dict names are the tensor names.</param>
    /// <param name="checkpoint">The weights.</param>
    /// <param name="ignoreMissing">Names the module has that the file may lack (e.g. a tied LM head).</param>
    /// <param name="ignoreUnexpected">Names in the file the module does not use (e.g. rotary inv_freq buffers).</param>
    /// <param name="storage">For tensors of a module built without storage (the meta device: deferred
    /// <see cref="Layers.AutocastLinear"/> weights and embedding tables): the type each is kept in. They are read in the
    /// file's type and converted (or quantised) one at a time, so loading peaks at the final weights plus one tensor.</param>
    /// <param name="shapesOnly">Read no tensor data: deferred tensors get their stored type's shapes on the meta
    /// device (a memory plan); the names and shapes are still checked.</param>
    public static void Load(nn.Module module, IWeightSource checkpoint, Func<string, bool>? ignoreMissing = null, Func<string, bool>? ignoreUnexpected = null,
        Func<string, FrozenWeights>? storage = null, bool shapesOnly = false)
    {
        var targets = module.state_dict();
        var problems = new List<string>();
        var missing = targets.Keys.Where(k => !checkpoint.Contains(k) && ignoreMissing?.Invoke(k) != true).ToList();
        if (missing.Count > 0) problems.Add($"missing tensors: {Summary(missing)}");
        var unexpected = checkpoint.Names.Where(n => !targets.ContainsKey(n) && ignoreUnexpected?.Invoke(n) != true).ToList();
        if (unexpected.Count > 0) problems.Add($"unexpected tensors: {Summary(unexpected)}");
        foreach (var (name, target) in targets)
        {
            if (!checkpoint.Contains(name)) continue;
            long[] shape = checkpoint.ShapeOf(name);
            if (!shape.SequenceEqual(target.shape))
                problems.Add($"{name}: shape [{string.Join(", ", shape)}] in the file, [{string.Join(", ", target.shape)}] in the model");
        }
        if (problems.Count > 0) throw new CoinUserException($"{checkpoint.Source}: does not match the model: {string.Join("; ", problems)}");

        // Under a memory plan every tensor is created on the meta device (the host sets it as the default): nothing is read.
        shapesOnly |= get_default_device().type == DeviceType.META;
        using var noGrad = no_grad();
        var owners = module.named_modules().ToDictionary(m => m.name, m => m.module);
        foreach (var (name, target) in targets)
        {
            if (!checkpoint.Contains(name)) continue;
            if (target.device.type == DeviceType.META)
            {
                Adopt(owners, name, target, checkpoint, storage?.Invoke(name) ?? FrozenWeights.Float32, shapesOnly);
                continue;
            }
            if (shapesOnly) continue;
            // Read in the file's own type: a BOOL or integer tensor converted on the way would load as 0s and 1s.
            using var loaded = checkpoint.Load(name);
            if (target.is_floating_point() && !loaded.is_floating_point())
                throw new CoinUserException($"{checkpoint.Source}: tensor '{name}' is {loaded.dtype}; a weight must hold floating-point values (F32, F16, BF16)");
            target.copy_(loaded);
        }
        var unfilled = module.named_parameters().Where(p => p.parameter.device.type == DeviceType.META && !shapesOnly).Select(p => p.name).ToList();
        if (unfilled.Count > 0) throw new CoinUserException($"{checkpoint.Source}: no weights for {Summary(unfilled)}");
    }

    /// <summary>Gives a tensor built without storage its weights, in the type it is kept in.</summary>
    private static void Adopt(Dictionary<string, nn.Module> owners, string name, Tensor target, IWeightSource checkpoint, FrozenWeights format, bool shapesOnly)
    {
        int dot = name.LastIndexOf('.');
        string owner = dot < 0 ? "" : name[..dot], leaf = name[(dot + 1)..];
        var loaded = shapesOnly ? empty(target.shape, ScalarType.Float32, device: target.device) : checkpoint.Load(name);
        loaded.DetachFromDisposeScope();
        if (!loaded.is_floating_point())
        {
            var type = loaded.dtype;
            loaded.Dispose();
            throw new CoinUserException($"{checkpoint.Source}: tensor '{name}' is {type}; a weight must hold floating-point values (F32, F16, BF16)");
        }
        switch (owners.GetValueOrDefault(owner))
        {
            case Layers.AutocastLinear linear when leaf == "weight":
                linear.SetStoredWeight(loaded, format);
                break;
            case TorchSharp.Modules.Embedding embedding when leaf == "weight" && !format.IsQuantized():
            {
                var type = format == FrozenWeights.Float32 ? ScalarType.Float32 : ScalarType.BFloat16;
                var stored = loaded.dtype == type ? loaded : loaded.to_type(type).DetachFromDisposeScope();
                if (!ReferenceEquals(stored, loaded)) loaded.Dispose();
                embedding.weight = new TorchSharp.Modules.Parameter(stored, requires_grad: type == ScalarType.Float32);
                break;
            }
            default:
                loaded.Dispose();
                // A memory plan builds everything on the meta device: other tensors simply stay there.
                if (shapesOnly) break;
                throw new InvalidOperationException($"{name}: built without storage, but it is neither a linear weight nor an embedding table stored as {format.Name()}");
        }
    }

    /// <summary>Fills a newly built module from the weights in <paramref name="folder"/> (see
    /// <see cref="IWeightSource.OpenFolder"/>); the module is disposed if loading fails.</summary>
    public static T LoadFolder<T>(T module, string folder, Func<string, bool>? ignoreMissing = null, Func<string, bool>? ignoreUnexpected = null)
        where T : nn.Module
    {
        IWeightSource weights;
        try
        {
            weights = IWeightSource.OpenFolder(folder);
        }
        catch
        {
            module.Dispose();
            throw;
        }
        using (weights) return Fill(module, weights, ignoreMissing, ignoreUnexpected);
    }

    /// <summary><see cref="Load"/> into a newly built module, which is disposed if loading fails; the loaders that
    /// check a weight source before building the module (see <see cref="LayerCount"/>) end with it.</summary>
    public static T Fill<T>(T module, IWeightSource weights, Func<string, bool>? ignoreMissing = null, Func<string, bool>? ignoreUnexpected = null,
        Func<string, FrozenWeights>? storage = null, bool shapesOnly = false) where T : nn.Module
    {
        try
        {
            Load(module, weights, ignoreMissing, ignoreUnexpected, storage, shapesOnly);
            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>Writes the module's state (or the chosen entries) as one safetensors file.</summary>
    public static void Save(nn.Module module, string path, Func<string, bool>? include = null, IReadOnlyDictionary<string, string>? metadata = null)
        => SafetensorsWriter.Save(path, module.state_dict().Where(kv => include?.Invoke(kv.Key) ?? true), metadata);

    private static string Summary(IReadOnlyList<string> names)
        => names.Count <= 6 ? string.Join(", ", names) : $"{string.Join(", ", names.Take(6))} and {names.Count - 6} more";
}
