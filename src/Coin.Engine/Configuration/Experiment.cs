using Microsoft.Extensions.Configuration;

namespace Coin.Engine.Configuration;

/// <summary>A bound and validated experiment, with where it came from.</summary>
/// <param name="Config">The typed configuration.</param>
/// <param name="Source">The experiment file, or "(built-in default)".</param>
/// <param name="BaseDirectory">Folder that relative paths in the file are resolved against.</param>
public sealed record Experiment(ExperimentConfig Config, string Source, string BaseDirectory)
{
    /// <summary>Expands <c>${name}</c> from <see cref="ExperimentConfig.Variables"/> and makes the path absolute
    /// relative to <see cref="BaseDirectory"/>.</summary>
    public string ResolvePath(string path)
    {
        foreach (var (name, value) in Config.Variables) path = path.Replace("${" + name + "}", value, StringComparison.Ordinal);
        int unresolved = path.IndexOf("${", StringComparison.Ordinal);
        if (unresolved >= 0)
            throw new Abstractions.Plugins.CoinUserException(
                $"{Source}: path '{path}' uses an undefined variable; define it under 'variables' (defined: {string.Join(", ", Config.Variables.Keys)})");
        return Path.GetFullPath(path, BaseDirectory);
    }
}
