namespace Coin.Host.Running;

/// <summary>Progress of one long phase (training a task, evaluating the stream).</summary>
public interface IProgressSink
{
    /// <summary>Advances by <paramref name="units"/>; <paramref name="status"/> is shown beside the bar (e.g. the loss).</summary>
    void Advance(int units, string status);
}
