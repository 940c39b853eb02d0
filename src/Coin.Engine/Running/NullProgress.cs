namespace Coin.Engine.Running;

/// <summary>Progress that is not shown (benchmarks, tests).</summary>
public sealed class NullProgress : IProgressSink
{
    public void Advance(int units, string status) { }
}
