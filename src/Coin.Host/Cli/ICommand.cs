namespace Coin.Host.Cli;

/// <summary>A <c>coin</c> subcommand. Implementations are registered by Scrutor scanning.</summary>
public interface ICommand
{
    /// <summary>The word after <c>coin</c>.</summary>
    string Name { get; }

    /// <summary>Runs the command; returns the process exit code. User mistakes are thrown as
    /// <see cref="Abstractions.Plugins.CoinUserException"/>.</summary>
    int Execute();
}

