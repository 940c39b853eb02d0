using static TorchSharp.torch;

// The end-to-end fixtures run the host as child processes on one thread each: two at a time keep both cores busy
// (three were slower: 5 m 03 s against 4 m 42–53 s for the whole suite).
// The long ones (resume, journal, sweeps, commands, hostile input) let their tests run in parallel too, so that no
// single fixture holds the last minutes alone. Every other fixture (in-process torch) runs alone, in NUnit's
// non-parallel shift.
[assembly: LevelOfParallelism(2)]

namespace Coin.Tests;

/// <summary>Fixed torch threads for the test process; child hosts get one thread each (see CoinProcess).</summary>
[SetUpFixture]
public sealed class AssemblySetup
{
    [OneTimeSetUp]
    public void ConfigureTorch()
    {
        set_num_threads(Math.Max(1, Environment.ProcessorCount));
        // Components created in this process (and processes started without CoinProcess) cache into the test run's
        // folder, never into the user's ~/.cache/coin.
        Environment.SetEnvironmentVariable(Coin.Engine.Caching.UserCache.HomeVariable, Path.Combine(Path.GetTempPath(), "coin-tests", "coin-home"));
    }
}
