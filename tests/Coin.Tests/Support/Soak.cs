namespace Coin.Tests.Support;

/// <summary>Tests that repeat what the suite already shows for more cases (every continual method's kill and resume,
/// bfloat16 included): too slow for the ~5-minute suite, run by <c>.ci/soak</c> before a release or after a change to
/// checkpoints, and left out of <c>.ci/run</c>.</summary>
public static class Soak
{
    public const string Category = "Soak";
}
