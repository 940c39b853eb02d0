using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace Coin.Host.Configuration;

/// <summary>A component chosen by plugin name, with its options section left raw until the plugin's own options
/// type is known (bound strictly by <see cref="StrictBinder"/> then).</summary>
public sealed class ComponentConfig
{
    public ComponentConfig() { }
    public ComponentConfig(string type) => Type = type;

    /// <summary>The plugin name, e.g. <c>"llama"</c>.</summary>
    [Required(ErrorMessage = "a plugin name is required")] public string Type { get; set; } = "";

    /// <summary>The raw <c>options</c> section, or null when absent.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public IConfigurationSection? Options { get; set; }
}

/// <summary>One component or an ordered list of them, written either way in a file: <c>{"type": "llaca"}</c> or
/// <c>[{"type": "replay"}, {"type": "llaca"}]</c> (contract 2.0: several continual methods compose in one run).</summary>
public sealed class ComponentList : List<ComponentConfig>
{
    public ComponentList() { }
    public ComponentList(IEnumerable<ComponentConfig> items) : base(items) { }

    /// <summary>The configuration path of item <paramref name="index"/> of <paramref name="count"/>: the list's own
    /// path when it holds one (so a single component keeps the path it always had), else <c>path[index]</c>.</summary>
    public static string KeyPath(string path, int index, int count) => count == 1 ? path : $"{path}[{index}]";
}
