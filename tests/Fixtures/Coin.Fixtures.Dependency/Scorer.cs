namespace Coin.Fixtures.Dependency;

/// <summary>A base class in a separate assembly; the tests delete this assembly to simulate a missing dependency.</summary>
public abstract class ScorerBase
{
    public abstract double Score(string prediction, string answer);
}
