namespace Coin.Abstractions.Plugins;

/// <summary>Base class for plugin factories: typed options, typed component.</summary>
/// <typeparam name="TComponent">The contract, e.g. <see cref="Training.IEvaluator"/>.</typeparam>
/// <typeparam name="TOptions">The options class bound from the component's <c>options</c> section.</typeparam>
public abstract class PluginFactory<TComponent, TOptions> : IPluginFactory
    where TComponent : class
    where TOptions : class, new()
{
    /// <inheritdoc />
    public Type ComponentType => typeof(TComponent);

    /// <inheritdoc />
    public Type OptionsType => typeof(TOptions);

    /// <inheritdoc />
    public object Create(object options, ComponentContext context) => Create((TOptions)options, context);

    /// <summary>Creates the component from validated options.</summary>
    protected abstract TComponent Create(TOptions options, ComponentContext context);
}

/// <summary>Options for a plugin that has none: any key in its options section is reported as unknown.</summary>
public sealed class NoOptions;
