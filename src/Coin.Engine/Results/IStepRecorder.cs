namespace Coin.Engine.Results;

/// <summary>Receives named scalars per optimiser step (loss, learning rates, anything a plugin logs).</summary>
public interface IStepRecorder
{
    void Add(string task, long step, string name, double value);
}
