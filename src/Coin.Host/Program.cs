using Spectre.Console;

return Coin.Host.CoinApp.Run(args, AnsiConsole.Console);
