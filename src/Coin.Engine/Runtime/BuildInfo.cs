using System.Reflection;

namespace Coin.Engine.Runtime;

/// <summary>Facts fixed at build time.</summary>
public static class BuildInfo
{
    public static string Version => typeof(BuildInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()
        ?.InformationalVersion.Split('+')[0] ?? "?";

    public static string TorchBackend => typeof(BuildInfo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .FirstOrDefault(a => a.Key == "CoinTorchBackend")?.Value ?? "?";
}
