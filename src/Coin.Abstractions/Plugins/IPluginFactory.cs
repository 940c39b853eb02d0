namespace Coin.Abstractions.Plugins;

/// <summary>What the host sees of a plugin: an options type it binds from configuration and a way to create the
/// component. Derive from <see cref="PluginFactory{TComponent, TOptions}"/> rather than implementing this.</summary>
/// <remarks>The host creates one factory per export (MEF, non-shared), binds and validates options from the
/// component's <c>options</c> section before anything is loaded, then calls <see cref="Create"/> once per run.</remarks>
public interface IPluginFactory
{
    /// <summary>The component contract this factory creates, e.g. <c>typeof(IEvaluator)</c>.</summary>
    Type ComponentType { get; }

    /// <summary>The options class bound from configuration: public settable properties, DataAnnotations
    /// attributes for validation, optionally <see cref="System.ComponentModel.DataAnnotations.IValidatableObject"/>.</summary>
    Type OptionsType { get; }

    /// <summary>Creates the component. <paramref name="options"/> is an instance of <see cref="OptionsType"/> that
    /// passed validation. The caller owns the result and disposes it if it is <see cref="IDisposable"/>.</summary>
    object Create(object options, ComponentContext context);
}
