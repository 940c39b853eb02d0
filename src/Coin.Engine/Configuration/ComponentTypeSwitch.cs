using System.Text.Json.Nodes;

namespace Coin.Engine.Configuration;

/// <summary>A later layer (<c>--set continual.type=ewc</c>, a <c>COIN_</c> variable, a sweep cell) that gives a
/// component another plugin makes the options the file wrote for the old plugin meaningless: they are dropped rather
/// than bound against the new plugin's options, which would refuse them as unknown keys. A user switching methods
/// from the command line should not have to edit the file.</summary>
public static class ComponentTypeSwitch
{
    /// <summary>Drops <paramref name="component"/>'s <c>options</c> when <paramref name="newType"/> differs from its
    /// <c>type</c> (plugin names are case-insensitive). Returns whether options were dropped.</summary>
    public static bool DropStaleOptions(JsonObject component, string? newType)
    {
        if (Existing(component, "type") is not { } typeKey || component[typeKey] is not JsonValue old
            || string.Equals(old.ToString(), newType, StringComparison.OrdinalIgnoreCase)
            || Existing(component, "options") is not { } options)
            return false;
        component.Remove(options);
        return true;
    }

    /// <summary>Drops, in the experiment's JSON, the options of every component an override gives another <c>type</c>
    /// (keys with ':' or '.' between levels); returns the dotted paths of the options dropped.</summary>
    public static IReadOnlyList<string> Apply(JsonObject root, IEnumerable<KeyValuePair<string, string?>> overrides)
    {
        var dropped = new List<string>();
        foreach (var (keys, value) in overrides.Select(kv => (Keys: kv.Key.Split(':', '.'), kv.Value))
                     .Where(o => o.Keys.Length >= 2 && string.Equals(o.Keys[^1], "type", StringComparison.OrdinalIgnoreCase)))
            if (Component(root, keys[..^1]) is { } component && DropStaleOptions(component, value))
                dropped.Add(string.Join('.', keys[..^1]) + ".options");
        return dropped;
    }

    private static JsonObject? Component(JsonObject root, IEnumerable<string> path)
    {
        JsonObject? node = root;
        foreach (string key in path)
            node = node is not null && Existing(node, key) is { } existing ? node[existing] as JsonObject : null;
        return node;
    }

    public static string? Existing(JsonObject node, string key)
        => node.Select(kv => kv.Key).FirstOrDefault(k => string.Equals(k, key, StringComparison.OrdinalIgnoreCase));
}
