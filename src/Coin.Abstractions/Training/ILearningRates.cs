namespace Coin.Abstractions.Training;

/// <summary>The optimiser's learning rate per parameter group, as the balance scheduler sees it.</summary>
public interface ILearningRates
{
    /// <summary>The group names present in this run (see <see cref="Components.ComponentNames"/>).</summary>
    IReadOnlyList<string> Groups { get; }

    /// <summary>The configured base learning rate of a group, before any schedule.</summary>
    double Base(string group);

    /// <summary>The learning rate the next optimiser step will use.</summary>
    double Get(string group);

    /// <summary>Sets the learning rate for the next optimiser step.</summary>
    void Set(string group, double learningRate);
}
