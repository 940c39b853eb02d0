using Coin.Abstractions.Plugins;
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
    public static void Load(nn.Module module, IWeightSource checkpoint, Func<string, bool>? ignoreMissing = null, Func<string, bool>? ignoreUnexpected = null)
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

        using var noGrad = no_grad();
        foreach (var (name, target) in targets)
        {
            if (!checkpoint.Contains(name)) continue;
            using var loaded = checkpoint.Load(name, target.dtype);
            target.copy_(loaded);
        }
    }

    /// <summary>Fills a newly built module from the weights in <paramref name="folder"/> (see
    /// <see cref="IWeightSource.OpenFolder"/>); the module is disposed if loading fails.</summary>
    public static T LoadFolder<T>(T module, string folder, Func<string, bool>? ignoreMissing = null, Func<string, bool>? ignoreUnexpected = null)
        where T : nn.Module
    {
        try
        {
            using var weights = IWeightSource.OpenFolder(folder);
            Load(module, weights, ignoreMissing, ignoreUnexpected);
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
