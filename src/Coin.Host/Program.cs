using Spectre.Console;

// Before anything allocates a tensor: the allocator can only be chosen by starting the process again (CachingAllocator).
Coin.Engine.Runtime.CachingAllocator.RelaunchIfAvailable(args);

// Numbers, dates and string comparisons the same on every machine, whatever its locale.
System.Globalization.CultureInfo.DefaultThreadCurrentCulture = System.Globalization.CultureInfo.InvariantCulture;
System.Globalization.CultureInfo.DefaultThreadCurrentUICulture = System.Globalization.CultureInfo.InvariantCulture;
System.Globalization.CultureInfo.CurrentCulture = System.Globalization.CultureInfo.InvariantCulture;
System.Globalization.CultureInfo.CurrentUICulture = System.Globalization.CultureInfo.InvariantCulture;

var console = AnsiConsole.Console;
// Redirected output (CI, log files) would otherwise wrap tables and messages at 80 columns.
if (Console.IsOutputRedirected) console.Profile.Width = 400;
return Coin.Host.CoinApp.Run(args, console);
