using Coin.Abstractions.Plugins;
using Microsoft.Extensions.Configuration;

namespace Coin.Engine.Configuration;

/// <summary>Binds the host's configuration (file, environment, command line) into a validated
/// <see cref="Experiment"/>, or throws one <see cref="CoinUserException"/> listing every problem.</summary>
public sealed class ExperimentLoader(IConfiguration configuration, ExperimentSource source, EnvironmentLayer? environment = null, OptionOrigins? options = null)
{
    // The .NET generic host, which the coin command runs in, writes its own settings into the same configuration
    // (HostDefaults.ApplicationKey, ContentRootKey, EnvironmentKey); "$schema" is for editors (coin schema).
    private static readonly IReadOnlySet<string> HostKeys = new HashSet<string>(
        ["applicationName", "contentRoot", "environment", "$schema"], StringComparer.OrdinalIgnoreCase);

    public Experiment Load()
    {
        var errors = new List<string>();
        var config = (ExperimentConfig)StrictBinder.Bind(configuration, typeof(ExperimentConfig), "", errors, HostKeys);
        // An error about a key that a command-line option set names that option; the others name the file (and the
        // environment variable, when one set the key).
        var blamed = errors.Select(e => options?.Blame(e)).ToList();
        if (blamed.Any(b => b is not null))
        {
            var lines = errors.Select((e, i) => blamed[i] ?? $"{source.Name}: {environment?.Annotate(e) ?? e}").ToList();
            throw new CoinUserException(lines.Count == 1 ? lines[0]
                : $"{lines.Count} configuration errors:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", lines));
        }
        ThrowIfAny(source.Name, environment is null ? errors : errors.Select(environment.Annotate).ToList());
        return new Experiment(config, source.Name, source.BaseDirectory);
    }

    /// <summary>An experiment file (with the files it extends), with <paramref name="overrides"/> laid over it as
    /// <c>coin run FILE --set KEY=VALUE</c> lays them ("training:epochs" → "2"): where a program that runs experiments
    /// through the engine starts. The environment layer (COIN_* variables) is the command's and is not read.</summary>
    /// <param name="note">Receives what the overrides left out of the file (a component's options for a plugin an
    /// override replaces), as the command prints it.</param>
    public static Experiment FromFile(string path, IReadOnlyDictionary<string, string?>? overrides = null, Action<string>? note = null)
    {
        string file = Path.GetFullPath(path);
        var json = ExperimentFile.Read(file);
        overrides ??= new Dictionary<string, string?>();
        foreach (string dropped in ComponentTypeSwitch.Apply(json, overrides))
            note?.Invoke($"{dropped} from {Path.GetFileName(file)} left out: an override sets another type");
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString())))
            .AddInMemoryCollection(overrides)
            .Build();
        return new ExperimentLoader(configuration, ExperimentSource.For(file)).Load();
    }

    public static void ThrowIfAny(string sourceName, IReadOnlyList<string> errors)
    {
        if (errors.Count == 0) return;
        if (errors.Count == 1) throw new CoinUserException($"{sourceName}: {errors[0]}");
        throw new CoinUserException($"{sourceName}: {errors.Count} configuration errors:{Environment.NewLine}  "
                                    + string.Join(Environment.NewLine + "  ", errors));
    }
}

/// <summary>Where the configuration came from, for messages and relative paths.</summary>
public sealed record ExperimentSource(string Name, string BaseDirectory)
{
    public static ExperimentSource For(string? file) => file is null
        ? new("(built-in default)", Directory.GetCurrentDirectory())
        : new(file, Path.GetDirectoryName(Path.GetFullPath(file))!);
}
