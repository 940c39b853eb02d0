using System.Reflection;
using System.Runtime.Loader;

namespace Coin.Engine.Plugins;

/// <summary>One plugin folder's load context. The contracts, Coin.Nn, TorchSharp, SkiaSharp and System.Composition come from the host's
/// default context, so <c>Tensor</c>, <c>Module</c> and the contract interfaces keep one identity and libtorch is
/// loaded once; everything else the plugin ships is resolved from its own folder first.</summary>
public sealed class PluginLoadContext(string folder, string mainAssemblyPath)
    : AssemblyLoadContext($"plugin:{Path.GetFileName(folder)}", isCollectible: false)
{
    // SkiaSharp is shared too: its native library is loaded once, by the host.
    private static readonly string[] SharedPrefixes = ["Coin.Abstractions", "Coin.Nn", "TorchSharp", "System.Composition", "SkiaSharp"];
    private readonly AssemblyDependencyResolver resolver = new(mainAssemblyPath);

    public static bool IsShared(AssemblyName name)
        => SharedPrefixes.Any(prefix => name.Name is { } n && (n == prefix || n.StartsWith(prefix + ".", StringComparison.Ordinal)));

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (IsShared(assemblyName)) return null;
        string? path = resolver.ResolveAssemblyToPath(assemblyName);
        if (path is null)
        {
            string local = Path.Combine(folder, assemblyName.Name + ".dll");
            if (File.Exists(local)) path = local;
        }
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
