using Coin.Engine.Running;

namespace Coin.Tests.Support;

/// <summary>A progress sink that shows nothing, for trainers driven directly by tests.</summary>
public sealed class NoProgress : IProgressSink
{
    public void Advance(int units, string status) { }
}
