namespace Coin.Engine.Results;

/// <summary>Continual-learning metrics from the accuracy matrix A[t][i] (percent on task i after training task t).</summary>
/// <param name="FinalAverageAccuracy">ACC: mean of the last row over the tasks trained so far (all of them once the
/// stream is done; during a partial run, tasks not yet trained do not count, as CoIN reports it after each task).</param>
/// <param name="MeanAverageAccuracy">MAA: mean over stages t of the mean of A[t][0..t] (tasks seen so far).</param>
/// <param name="BackwardTransfer">BWT: mean over i &lt; T of A[T][i] − A[i][i]; negative means forgetting.</param>
/// <param name="Forgetting">Mean over i &lt; T of (max over t &lt; T of A[t][i]) − A[T][i].</param>
/// <param name="Plasticity">Mean of A[i][i]: how well each task is learned when it is trained.</param>
/// <param name="ForwardTransfer">Mean over i ≥ 1 of A[i−1][i] − Z[i], where Z is the zero-shot row; null without one.</param>
public sealed record ContinualMetrics(
    double FinalAverageAccuracy,
    double MeanAverageAccuracy,
    double BackwardTransfer,
    double Forgetting,
    double Plasticity,
    double? ForwardTransfer)
{
    /// <param name="matrix">One row per finished stage, each with a column per task of the stream.</param>
    /// <param name="zeroShot">Accuracy per task before any training, or null.</param>
    public static ContinualMetrics Compute(IReadOnlyList<double[]> matrix, double[]? zeroShot = null)
    {
        if (matrix.Count == 0) throw new ArgumentException("the accuracy matrix has no row yet", nameof(matrix));
        int stages = matrix.Count;
        if (matrix.Any(row => row.Length < stages))
            throw new ArgumentException($"{stages} stages need at least {stages} task columns per row", nameof(matrix));
        int last = stages - 1;
        var final = matrix[last];
        double acc = final.Take(stages).Average();
        double maa = Enumerable.Range(0, stages).Select(t => matrix[t].Take(t + 1).Average()).Average();
        double plasticity = Enumerable.Range(0, stages).Select(i => matrix[i][i]).Average();
        var earlier = Enumerable.Range(0, last).ToList();
        double bwt = earlier.Count == 0 ? 0 : earlier.Select(i => final[i] - matrix[i][i]).Average();
        double forgetting = earlier.Count == 0 ? 0 : earlier.Select(i => Enumerable.Range(0, last).Select(t => matrix[t][i]).Max() - final[i]).Average();
        double? fwt = zeroShot is null || stages < 2 ? null : Enumerable.Range(1, last).Select(i => matrix[i - 1][i] - zeroShot[i]).Average();
        return new ContinualMetrics(acc, maa, bwt, forgetting, plasticity, fwt);
    }
}
