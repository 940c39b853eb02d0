using Spectre.Console;

var console = AnsiConsole.Console;
// Redirected output (CI, log files) would otherwise wrap tables and messages at 80 columns.
if (Console.IsOutputRedirected) console.Profile.Width = 400;
return Coin.Host.CoinApp.Run(args, console);
