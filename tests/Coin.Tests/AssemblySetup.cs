using static TorchSharp.torch;

namespace Coin.Tests;

/// <summary>Fixed torch threads for the test process; child hosts get one thread each (see CoinProcess).</summary>
[SetUpFixture]
public sealed class AssemblySetup
{
    [OneTimeSetUp]
    public void ConfigureTorch() => set_num_threads(Math.Max(1, Environment.ProcessorCount));
}
