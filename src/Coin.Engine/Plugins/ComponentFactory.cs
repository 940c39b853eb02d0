using System.Reflection;
using System.Runtime.ExceptionServices;
using Coin.Abstractions.Plugins;

namespace Coin.Engine.Plugins;

/// <summary>The factory of a plugin whose <see cref="CoinPluginAttribute"/> sits on the component class itself
/// (contract 2.1): the component's one public constructor is the factory. Its parameters may be an options class
/// (bound and validated from the <c>options</c> section, as a factory's <c>TOptions</c>) and a
/// <see cref="ComponentContext"/>, each at most once, in any order; with no options parameter the plugin takes none
/// (<see cref="NoOptions"/>).</summary>
public sealed class ComponentFactory : IPluginFactory
{
    private readonly ConstructorInfo constructor;
    private readonly bool[] isContext;

    private ComponentFactory(Type componentType, Type optionsType, ConstructorInfo constructor, bool[] isContext)
        => (ComponentType, OptionsType, this.constructor, this.isContext) = (componentType, optionsType, constructor, isContext);

    public Type ComponentType { get; }

    public Type OptionsType { get; }

    /// <summary>The MEF part that exports <paramref name="component"/>'s factory (PluginFolderLoader's convention).</summary>
    public static Type PartFor(Type component) => typeof(ComponentFactory<>).MakeGenericType(component);

    /// <summary>A class that carries [CoinPlugin] and is not a factory.</summary>
    public static bool IsComponentPlugin(Type type)
        => type.IsClass && !typeof(IPluginFactory).IsAssignableFrom(type) && type.GetCustomAttribute<CoinPluginAttribute>() is not null;

    /// <summary>A component MEF can compose: an open generic class cannot be closed, and is described as failed.</summary>
    public static bool IsComposable(Type component) => !component.ContainsGenericParameters;

    /// <summary>The attribute's properties under the names MEF gives export metadata, so both kinds of plugin are
    /// described by one path.</summary>
    public static IDictionary<string, object> Metadata(Type component)
    {
        var attribute = component.GetCustomAttribute<CoinPluginAttribute>()!;
        return new Dictionary<string, object>
        {
            [nameof(CoinPluginAttribute.Kind)] = attribute.Kind,
            [nameof(CoinPluginAttribute.Name)] = attribute.Name,
            [nameof(CoinPluginAttribute.Version)] = attribute.Version,
            [nameof(CoinPluginAttribute.Description)] = attribute.Description,
            [nameof(CoinPluginAttribute.ContractVersion)] = attribute.ContractVersion,
            [nameof(CoinPluginAttribute.Capabilities)] = attribute.Capabilities,
        };
    }

    /// <summary>The factory for <paramref name="component"/>, or an exception whose message says what about the class
    /// keeps it from being one (shown as the plugin's failure reason).</summary>
    public static ComponentFactory For(Type component)
    {
        var kind = component.GetCustomAttribute<CoinPluginAttribute>()!.Kind;
        var contract = PluginKinds.ComponentType(kind);
        string name = component.Name;
        if (!IsComposable(component))
            throw new InvalidOperationException($"{name} is an open generic class; put [CoinPlugin] on a class the host can construct");
        if (!contract.IsAssignableFrom(component))
            throw new InvalidOperationException($"{name} is declared as a {PluginKinds.Display(kind)} plugin but does not implement {contract.Name}");
        if (component.IsAbstract)
            throw new InvalidOperationException($"{name} is abstract; put [CoinPlugin] on a class the host can construct");
        var constructors = component.GetConstructors();
        if (constructors.Length != 1)
            throw new InvalidOperationException(
                $"{name} has {constructors.Length} public constructors; the host constructs a component through exactly one (or write a PluginFactory)");
        var parameters = constructors[0].GetParameters();
        var isContext = parameters.Select(p => p.ParameterType == typeof(ComponentContext)).ToArray();
        var options = parameters.Where(p => p.ParameterType != typeof(ComponentContext)).ToList();
        if (isContext.Count(c => c) > 1 || options.Count > 1)
            throw new InvalidOperationException(
                $"{name}'s constructor takes ({string.Join(", ", parameters.Select(p => p.ParameterType.Name))}); it may take one options class and one ComponentContext");
        if (options.SingleOrDefault() is { } option
            && (!option.ParameterType.IsClass || option.ParameterType.IsAbstract || option.ParameterType.GetConstructor(Type.EmptyTypes) is null))
            throw new InvalidOperationException(
                $"{name}'s constructor parameter '{option.Name}' ({option.ParameterType.Name}) is not an options class: options are a class with a public parameterless constructor");
        return new ComponentFactory(contract, options.SingleOrDefault()?.ParameterType ?? typeof(NoOptions), constructors[0], isContext);
    }

    public object Create(object options, ComponentContext context)
    {
        try
        {
            return constructor.Invoke(isContext.Select(c => c ? context : options).ToArray());
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            // The component's own exception (a CoinUserException naming a bad file, say), not reflection's wrapper.
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}

/// <summary>The MEF part a [CoinPlugin] component is composed through: its factory (<see cref="ComponentFactory.For"/>),
/// made when MEF creates the export, so that what keeps a class from being a component is that plugin's failure
/// reason, as a factory's failing constructor is.</summary>
public sealed class ComponentFactory<TComponent> : IPluginFactory where TComponent : class
{
    private readonly ComponentFactory factory = ComponentFactory.For(typeof(TComponent));

    public Type ComponentType => factory.ComponentType;

    public Type OptionsType => factory.OptionsType;

    public object Create(object options, ComponentContext context) => factory.Create(options, context);
}
