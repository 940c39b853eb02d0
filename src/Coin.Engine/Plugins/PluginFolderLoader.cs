using System.Composition;
using System.Composition.Convention;
using System.Composition.Hosting;
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Coin.Abstractions.Plugins;

namespace Coin.Engine.Plugins;

/// <summary>Loads one plugin folder into its own load context and composes its exports. Any failure is captured
/// as a descriptor with status Failed and a reason; nothing here throws for a bad plugin.</summary>
public static class PluginFolderLoader
{
    private const string ContractsAssembly = "Coin.Abstractions";

    public static IReadOnlyList<PluginDescriptor> Load(string folder)
    {
        List<string> candidates;
        try
        {
            candidates = FindPluginAssemblies(folder);
        }
        catch (PluginLoadException e)
        {
            return [PluginDescriptor.FailedFolder(folder, e.Message)];
        }
        if (candidates.Count == 0)
            return [PluginDescriptor.FailedFolder(folder, $"no assembly in the folder references {ContractsAssembly}")];

        string main = candidates.FirstOrDefault(c => Path.GetFileNameWithoutExtension(c) == Path.GetFileName(folder)) ?? candidates[0];
        var context = new PluginLoadContext(folder, main);
        CompositionHost container;
        List<Type> uncomposable;
        try
        {
            var types = candidates.Select(context.LoadFromAssemblyPath).SelectMany(a => a.GetTypes()).ToList();
            // [CoinPlugin] on a component (contract 2.1) exports a type that is no IPluginFactory and that MEF cannot
            // construct (its constructor takes options): MEF composes its factory instead, ComponentFactory<T>, with
            // the attribute's properties as the export's metadata. So every plugin, component or factory, is one MEF
            // export of IPluginFactory, described and created by one path below.
            var components = types.Where(ComponentFactory.IsComponentPlugin).ToList();
            uncomposable = components.Where(c => !ComponentFactory.IsComposable(c)).ToList();
            components = components.Except(uncomposable).ToList();
            container = new ContainerConfiguration()
                .WithParts(types.Where(t => !ComponentFactory.IsComponentPlugin(t)))
                .WithParts(components.Select(ComponentFactory.PartFor), ComponentExports(components))
                .CreateContainer();
        }
        catch (Exception e)
        {
            return [PluginDescriptor.FailedFolder(folder, Describe(e))];
        }

        IEnumerable<ExportFactory<IPluginFactory, IDictionary<string, object>>> exports;
        try
        {
            exports = container.GetExports<ExportFactory<IPluginFactory, IDictionary<string, object>>>().ToList();
        }
        catch (Exception e)
        {
            return [PluginDescriptor.FailedFolder(folder, Describe(e))];
        }
        var descriptors = exports.Select(export => Describe(export.Metadata, () => export.CreateExport().Value, folder))
            .Concat(uncomposable.Select(type => Describe(ComponentFactory.Metadata(type), () => ComponentFactory.For(type), folder)))
            .ToList();
        return descriptors.Count > 0
            ? descriptors
            : [PluginDescriptor.FailedFolder(folder, "no class is exported with [CoinPlugin]")];
    }

    /// <summary>The convention that exports each component's factory part as <see cref="IPluginFactory"/> with the
    /// component's [CoinPlugin] as metadata, as the attribute on a factory class exports it.</summary>
    private static ConventionBuilder ComponentExports(IEnumerable<Type> components)
    {
        var conventions = new ConventionBuilder();
        foreach (var component in components)
            conventions.ForType(ComponentFactory.PartFor(component)).Export<IPluginFactory>(export =>
            {
                foreach (var (key, value) in ComponentFactory.Metadata(component)) export.AddMetadata(key, value);
            });
        return conventions;
    }

    private static PluginDescriptor Describe(IDictionary<string, object> metadata, Func<IPluginFactory> create, string folder)
    {
        var kind = metadata.TryGetValue(nameof(CoinPluginAttribute.Kind), out var k) && k is PluginKind pk ? pk : (PluginKind?)null;
        string name = Text(metadata, nameof(CoinPluginAttribute.Name));
        string contract = Text(metadata, nameof(CoinPluginAttribute.ContractVersion));
        var descriptor = new PluginDescriptor(kind, name, Text(metadata, nameof(CoinPluginAttribute.Version)),
            Text(metadata, nameof(CoinPluginAttribute.Description)), contract,
            metadata.TryGetValue(nameof(CoinPluginAttribute.Capabilities), out var c) && c is string[] caps ? caps : [],
            folder, PluginStatus.Loaded, null, null);

        if (kind is null || name.Length == 0)
            return descriptor with { Status = PluginStatus.Failed, Error = "export lacks a kind or a name" };
        if (!CoinContract.IsCompatible(contract, out string reason))
            return descriptor with { Status = PluginStatus.Failed, Error = reason };
        IPluginFactory factory;
        try
        {
            factory = create();
        }
        catch (Exception e)
        {
            return descriptor with { Status = PluginStatus.Failed, Error = "could not be created: " + Describe(e) };
        }
        var expected = PluginKinds.ComponentType(kind.Value);
        if (factory.ComponentType != expected)
            return descriptor with
            {
                Status = PluginStatus.Failed,
                Error = $"declared as {PluginKinds.Display(kind.Value)} but creates {factory.ComponentType.Name}, not {expected.Name}",
            };
        return descriptor with { Factory = factory };
    }

    /// <summary>DLLs in the folder that reference the contracts, read without loading them. A file that is not a
    /// .NET assembly, or one built against another major contract version, fails the whole folder.</summary>
    private static List<string> FindPluginAssemblies(string folder)
    {
        var result = new List<string>();
        foreach (string path in Directory.EnumerateFiles(folder, "*.dll").Order(StringComparer.Ordinal))
        {
            Version? referenced;
            try
            {
                referenced = ContractsReference(path);
            }
            catch (Exception e) when (e is BadImageFormatException or InvalidOperationException or IOException)
            {
                throw new PluginLoadException($"{Path.GetFileName(path)} is not a valid .NET assembly ({e.Message})");
            }
            if (referenced is null) continue;
            // A copy of a shared assembly (Coin.Nn, which references the contracts too) is the host's to provide:
            // loading it here would give its types a second identity.
            if (PluginLoadContext.IsShared(System.Reflection.AssemblyName.GetAssemblyName(path))) continue;
            var host = typeof(CoinContract).Assembly.GetName().Version!;
            if (referenced.Major != host.Major)
                throw new PluginLoadException(
                    $"{Path.GetFileName(path)} references {ContractsAssembly} {referenced.ToString(2)}, this host provides {host.ToString(2)}");
            result.Add(path);
        }
        return result;
    }

    private static Version? ContractsReference(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata) throw new BadImageFormatException("no .NET metadata");
        var reader = pe.GetMetadataReader();
        foreach (var handle in reader.AssemblyReferences)
        {
            var reference = reader.GetAssemblyReference(handle);
            if (reader.GetString(reference.Name) == ContractsAssembly) return reference.Version;
        }
        return null;
    }

    private static string Text(IDictionary<string, object> metadata, string key)
        => metadata.TryGetValue(key, out var value) ? value?.ToString() ?? "" : "";

    /// <summary>The innermost useful message: type-load failures list what could not be loaded.</summary>
    public static string Describe(Exception e)
    {
        if (e is ReflectionTypeLoadException rtl)
        {
            var messages = rtl.LoaderExceptions.Where(x => x is not null).Select(x => x!.Message).Distinct().ToList();
            return messages.Count > 0 ? string.Join("; ", messages) : rtl.Message;
        }
        if (e is TargetInvocationException or CompositionFailedException or AggregateException && e.InnerException is not null)
            return Describe(e.InnerException!);
        return e.InnerException is { } inner && e.Message.Length < 40 ? $"{e.Message} {Describe(inner)}" : e.Message;
    }

    private sealed class PluginLoadException(string message) : Exception(message);
}
