namespace Coin.Engine.Running;

/// <summary>Progress of one long phase (training a task, evaluating the stream).</summary>
public interface IProgressSink
{
    /// <summary>Advances by <paramref name="units"/>; <paramref name="status"/> is shown beside the bar (e.g. the loss).</summary>
    void Advance(int units, string status);

    /// <summary>Units done before this process started (a resumed task): shown as done, but left out of the rate
    /// and the ETA, which only this process's work measures.</summary>
    void Resumed(int units) => Advance(units, "resumed");
}
