namespace Coin.Host;

/// <summary>Marks a host service for registration by convention (singleton, as itself) where the process composes its
/// services (<see cref="CoinApp"/>). In the host's root, beside CoinApp, so that a service in any folder can carry it
/// without using the command line's folder.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class HostServiceAttribute : Attribute;
