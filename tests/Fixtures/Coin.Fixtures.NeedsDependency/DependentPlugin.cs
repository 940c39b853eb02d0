using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Fixtures.Dependency;

namespace Coin.Fixtures.NeedsDependency;

public sealed class ExactScorer : ScorerBase
{
    public override double Score(string prediction, string answer) => prediction == answer ? 1 : 0;
}

public sealed class DependentEvaluator : IEvaluator
{
    private readonly ExactScorer scorer = new();
    public string Metric => "dependent";
    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions)
        => new(Metric, 100 * predictions.Average(p => scorer.Score(p.Output, p.Sample.Answer)), predictions.Count);
}

[CoinPlugin(PluginKind.Evaluator, "needs-dependency", "1.0.0", "Fixture: needs Coin.Fixtures.Dependency.dll")]
public sealed class DependentPlugin : PluginFactory<IEvaluator, NoOptions>
{
    protected override IEvaluator Create(NoOptions options, ComponentContext context) => new DependentEvaluator();
}
