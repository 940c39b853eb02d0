using static TorchSharp.torch;

// The end-to-end fixtures run the host as child processes on one thread each: two at a time keep both cores busy.
// Every other fixture (in-process torch) runs alone, in NUnit's non-parallel shift.
[assembly: LevelOfParallelism(2)]

namespace Coin.Tests;

/// <summary>Fixed torch threads for the test process; child hosts get one thread each (see CoinProcess).</summary>
[SetUpFixture]
public sealed class AssemblySetup
{
    [OneTimeSetUp]
    public void ConfigureTorch() => set_num_threads(Math.Max(1, Environment.ProcessorCount));
}
