using TorchSharp;

namespace Coin.Abstractions.Plugins;

/// <summary>What a factory may use when creating its component. Components are created in this order: task
/// stream, backbone, encoders, connectors (one per encoder), adapter, balance scheduler, continual updater,
/// evaluators; the properties of components created earlier are set for those created later.</summary>
public sealed record ComponentContext
{
    /// <summary>The device modules must live on when the run starts.</summary>
    public required torch.Device Device { get; init; }

    /// <summary>The experiment's seed. Components that draw random numbers seed their own generators from it.</summary>
    public required int Seed { get; init; }

    /// <summary>The folder of this run (results, checkpoints, caches a plugin wants to keep).</summary>
    public required string RunDirectory { get; init; }

    /// <summary>Resolves a path from configuration: expands <c>${name}</c> variables and makes it absolute
    /// relative to the experiment file's folder.</summary>
    public required Func<string, string> ResolvePath { get; init; }

    /// <summary>The user-level cache, shared by every run on the machine whatever folder it starts from: data a plugin
    /// generates or converts once and reads again in later runs goes in a subfolder of it (mini-CoIN's data is under
    /// <c>data/mini-coin</c>). The host resolves it from <c>$COIN_HOME</c>, else <c>$XDG_CACHE_HOME/coin</c>, else
    /// <c>~/.cache/coin</c>; <c>coin cache list</c> and <c>coin cache clear</c> show and empty it. Write into it as
    /// runs started at once may: each into a folder of its own, published by a rename. Added in contract 2.4.</summary>
    public string CacheDirectory { get; init; } = "";

    /// <summary>True while <c>coin run --plan</c> creates the components: a plan writes nothing that outlives it. A
    /// component that would write into <see cref="CacheDirectory"/> what is not there yet writes it under
    /// <see cref="RunDirectory"/> instead, a temporary folder the host removes after the plan. Added in contract
    /// 2.4.</summary>
    public bool Planning { get; init; }

    /// <summary>Memory the run may still allocate on its device, when the host knows it (CPU runs; null otherwise): a
    /// component that allocates much (a large backbone) refuses up front instead of being killed part-way. Added in
    /// contract 1.1.</summary>
    public long? AvailableMemoryBytes { get; init; }

    /// <summary>Reports a warning the user should see (e.g. skipped data rows); the host prints it.</summary>
    public Action<string> Warn { get; init; } = _ => { };

    /// <summary>Reports progress of long work inside a factory (generating or indexing data), one line at a time,
    /// with a rate and the time left; the host prints it, so no minute of a run passes in silence. Added in contract
    /// 1.2.</summary>
    public Action<string> Progress { get; init; } = _ => { };

    /// <summary>The backbone, set for components created after it.</summary>
    public Components.IBackbone? Backbone { get; init; }

    /// <summary>For a connector: the encoder it connects.</summary>
    public Components.IEncoder? Encoder { get; init; }
}
