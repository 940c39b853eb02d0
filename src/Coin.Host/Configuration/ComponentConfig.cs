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
