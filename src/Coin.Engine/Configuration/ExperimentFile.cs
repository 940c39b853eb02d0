using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;

namespace Coin.Engine.Configuration;

/// <summary>Reads an experiment file as JSON, following <c>"extends": "other.json"</c>: the named file (relative to
/// this one's folder, itself possibly extending another) is read first and this file's keys are laid over it — objects
/// merge key by key, lists and values replace whole, and a component whose <c>type</c> changes loses the options the
/// base wrote for the old plugin. A method's recipe is then the few keys in which it differs from the shared regime
/// (experiments/paper/). Paths inside either file resolve against the folder of the file that is run.</summary>
public static class ExperimentFile
{
    public const string ExtendsKey = "extends";

    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The file's JSON with every base it extends merged under it; the <c>extends</c> key removed.</summary>
    public static JsonObject Read(string path) => Read(Path.GetFullPath(path), []);

    private static JsonObject Read(string path, List<string> chain)
    {
        if (chain.Contains(path))
            throw new CoinUserException($"{chain[^1]}: \"extends\" makes a cycle ({string.Join(" → ", chain.Append(path).Select(Path.GetFileName))})");
        JsonSyntax.Check(path);
        var root = Parse(path);
        if (ComponentTypeSwitch.Existing(root, ExtendsKey) is not { } key) return root;
        if (root[key] is not JsonValue value || value.GetValueKind() != JsonValueKind.String || value.GetValue<string>().Length == 0)
            throw new CoinUserException($"{path}: \"extends\" must name another experiment file (a path relative to this one)");
        string basePath = Path.GetFullPath(value.GetValue<string>(), Path.GetDirectoryName(path)!);
        if (!File.Exists(basePath)) throw new CoinUserException($"{path}: \"extends\": '{basePath}' not found");
        root.Remove(key);
        var merged = Read(basePath, [.. chain, path]);
        Overlay(merged, root);
        return merged;
    }

    private static JsonObject Parse(string path) => JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(path, Coin.Nn.Files.InputFile.Limits.Experiment, "experiment file"), documentOptions: Options)!.AsObject();

    /// <summary>Lays <paramref name="top"/>'s keys over <paramref name="under"/> (keys matched case-insensitively, as
    /// configuration keys are).</summary>
    private static void Overlay(JsonObject under, JsonObject top)
    {
        if (ComponentTypeSwitch.Existing(top, "type") is { } typeKey && top[typeKey] is JsonValue type)
            ComponentTypeSwitch.DropStaleOptions(under, type.ToString());
        foreach (var (key, value) in top.ToList())
        {
            string existing = ComponentTypeSwitch.Existing(under, key) ?? key;
            if (value is JsonObject child && under[existing] is JsonObject baseChild)
            {
                Overlay(baseChild, child);
                continue;
            }
            under.Remove(existing);
            under[key] = value?.DeepClone();
        }
    }
}
