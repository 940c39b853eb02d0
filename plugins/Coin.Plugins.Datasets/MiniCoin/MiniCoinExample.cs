namespace Coin.Plugins.Datasets.MiniCoin;

/// <summary>One generated example before it is written: the question (without placeholder), the answer, extra
/// reference fields for the test file, and its rendered image or audio.</summary>
internal sealed record MiniCoinExample(string Question, string Answer, Dictionary<string, object> Extra, Canvas? Image, float[]? Audio = null);
