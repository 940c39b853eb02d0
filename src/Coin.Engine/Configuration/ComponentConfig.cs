using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace Coin.Engine.Configuration;

/// <summary>A component chosen by plugin name, with its options section left raw until the plugin's own options
/// type is known (bound strictly by <see cref="StrictBinder"/> then).</summary>
public class ComponentConfig
{
    public ComponentConfig() { }
    public ComponentConfig(string type) => Type = type;

    /// <summary>The plugin name, e.g. <c>"llama"</c>.</summary>
    [Required(ErrorMessage = "a plugin name is required")] public string Type { get; set; } = "";

    /// <summary>The raw <c>options</c> section, or null when absent.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public IConfigurationSection? Options { get; set; }
}

/// <summary>The task stream's plugin, and how the host feeds its inputs to training: those keys are the host's,
/// beside the plugin's <c>type</c> and <c>options</c>, because every data source gets them.</summary>
public sealed class DataSourceConfig : ComponentConfig
{
    public DataSourceConfig() { }
    public DataSourceConfig(string type) : base(type) { }

    /// <summary>Background threads that decode and prepare the encoders' inputs (images, audio) of the coming
    /// training steps while the current one runs; 0 prepares them inside the step. Preparation is a function of the
    /// input alone, so results, checkpoints and resume are the same with any number of workers.</summary>
    [Range(0, 64)] public int Workers { get; set; }

    /// <summary>How many steps ahead the workers prepare (a bound on the memory their prepared inputs hold).</summary>
    [Range(1, 64)] public int PrefetchSteps { get; set; } = 2;
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
