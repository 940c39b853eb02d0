namespace Coin.Abstractions.Plugins;

/// <summary>A mistake in the user's input (configuration, data file, checkpoint) that the user can fix. The host
/// prints its message alone, without a stack trace, and exits with a non-zero code. The message names the file,
/// key or line and what was expected.</summary>
public class CoinUserException(string message, Exception? inner = null) : Exception(message, inner);
