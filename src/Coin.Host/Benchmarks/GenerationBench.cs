using System.Diagnostics;
using Coin.Engine.Composition;
using Coin.Engine.Modeling;
using static TorchSharp.torch;

namespace Coin.Host.Benchmarks;

/// <summary>New tokens per second of batched greedy decoding, with and without the key/value cache. End-of-answer is
/// ignored so every row generates exactly the asked number of tokens.</summary>
public static class GenerationBench
{
    public sealed record Result(int NewTokens, double CachedTokensPerSecond, double UncachedTokensPerSecond)
    {
        public double Speedup => CachedTokensPerSecond / UncachedTokensPerSecond;
    }

    public static Result Measure(ComposedExperiment run, int batch, int newTokens)
    {
        var prompts = run.Data.LoadTest(run.Data.Tasks[0]).Take(batch).ToList();
        double TokensPerSecond(bool cache)
        {
            var settings = new GenerationSettings(newTokens, UseCache: cache, StopAtEos: false);
            using (NewDisposeScope()) TextGenerator.Generate(run.Model, prompts.Take(2).ToList(), settings with { MaxNewTokens = 4 });
            var clock = Stopwatch.StartNew();
            using (NewDisposeScope()) TextGenerator.Generate(run.Model, prompts, settings);
            return prompts.Count * newTokens / clock.Elapsed.TotalSeconds;
        }
        return new Result(newTokens, TokensPerSecond(cache: true), TokensPerSecond(cache: false));
    }
}
