using Coin.Abstractions.Plugins;
using Coin.Host.Cli;
using Coin.Host.Configuration;
using Coin.Host.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Coin.Host;

/// <summary>Parses the command line, builds the host (configuration layers, services by convention) and runs the
/// command. A user mistake ends with one line on stderr and exit code 2; a defect with its stack trace and 1.</summary>
public static class CoinApp
{
    public const int UserError = 2;
    public const int InternalError = 1;
    public const int Interrupted = 130;

    public static int Run(string[] args, IAnsiConsole console)
    {
        try
        {
            var commandLine = CommandLine.Parse(args);
            switch (commandLine.Command)
            {
                case "help":
                    console.WriteLine(CommandLine.Usage);
                    return 0;
                case "version":
                    console.WriteLine($"coin {BuildInfo.Version} (contract {CoinContract.Version}, TorchSharp {TorchRuntime.TorchSharpVersion}, {BuildInfo.TorchBackend} backend)");
                    return 0;
            }
            Running.Interruption.Install();
            using var host = BuildHost(commandLine, console);
            return host.Services.GetServices<ICommand>().Single(c => c.Name == commandLine.Command).Execute();
        }
        catch (OperationCanceledException)
        {
            return Interrupted;
        }
        catch (CoinUserException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return UserError;
        }
    }

    private static IHost BuildHost(CommandLine commandLine, IAnsiConsole console)
    {
        var resume = commandLine.ResumeDirectory is { } dir ? Running.ResumedRun.Open(dir) : null;
        string? file = resume?.ExperimentFile ?? (commandLine.ExperimentFile is { } f ? Path.GetFullPath(f) : null);
        if (file is not null) JsonSyntax.Check(file);
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "coin" });
        if (file is not null) builder.Configuration.AddJsonFile(file, optional: false, reloadOnChange: false);
        // A resumed run keeps its configuration: no environment layer, no overrides.
        if (resume is null) builder.Configuration.AddEnvironmentVariables("COIN_");
        builder.Configuration.AddInMemoryCollection(commandLine.Overrides);

        builder.Services.AddSingleton(console);
        builder.Services.AddSingleton(commandLine);
        builder.Services.AddSingleton(resume?.Source ?? ExperimentSource.For(commandLine.ExperimentFile));
        builder.Services.AddSingleton(new Running.ResumeRequest(resume));
        builder.Services.AddSingleton<ExperimentLoader>();
        builder.Services.Scan(scan => scan.FromAssemblyOf<ICommand>()
            .AddClasses(classes => classes.AssignableTo<ICommand>()).As<ICommand>().WithSingletonLifetime()
            .AddClasses(classes => classes.WithAttribute<HostServiceAttribute>()).AsSelf().WithSingletonLifetime());
        return builder.Build();
    }
}
