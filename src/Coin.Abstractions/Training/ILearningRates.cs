namespace Coin.Abstractions.Training;

/// <summary>The optimiser's learning rate per parameter group, as the balance scheduler sees it.</summary>
public interface ILearningRates
{
    /// <summary>The group names present in this run (see <see cref="Components.ComponentNames"/>).</summary>
    IReadOnlyList<string> Groups { get; }

    /// <summary>The group's configured learning rate with the run's schedule (warmup, cosine) applied for this step:
    /// the rate a scheduler that changes nothing sets.</summary>
    double Base(string group);

    /// <summary>The learning rate the next optimiser step will use.</summary>
    double Get(string group);

    /// <summary>Sets the learning rate for the next optimiser step.</summary>
    void Set(string group, double learningRate);
}
