using Coin.Abstractions.Plugins;
using Coin.Engine.Configuration;
using Coin.Engine.Runtime;
using Coin.Host.Cli;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Coin.Host;

/// <summary>Parses the command line, builds the host (configuration layers, services by convention) and runs the
/// command. A user mistake ends with one line on stderr and exit code 2; a defect with its stack trace and 1; SIGINT
/// with 130 and SIGTERM with 143, after the run saved a checkpoint.</summary>
public static class CoinApp
{
    public const int UserError = 2;
    public const int InternalError = 1;

    public static int Run(string[] args, IAnsiConsole console)
    {
        CommandLine commandLine;
        try
        {
            commandLine = CommandLine.Parse(args);
        }
        catch (CoinUserException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return UserError;
        }
        return Run(commandLine, console);
    }

    /// <summary>Runs a parsed command line (also what <c>coin sweep</c> calls for one cell).</summary>
    public static int Run(CommandLine commandLine, IAnsiConsole console)
    {
        try
        {
            switch (commandLine.Command)
            {
                case "help":
                    Console.Out.WriteLine(commandLine.HelpText);
                    return 0;
                case "version":
                    console.WriteLine($"coin {BuildInfo.Version} (contract {CoinContract.Version}, TorchSharp {TorchRuntime.TorchSharpVersion}, {BuildInfo.TorchBackend} backend)");
                    return 0;
            }
            using var cancellation = Coin.Engine.Running.RunCancellation.Install();
            try
            {
                using var host = BuildHost(commandLine, console, cancellation);
                return host.Services.GetServices<ICommand>().Single(c => c.Name == commandLine.Command).Execute();
            }
            catch (OperationCanceledException) when (cancellation.Signal is not null)
            {
                Console.Error.WriteLine($"stopped by {cancellation.Signal}");
                return cancellation.ExitCode;
            }
        }
        catch (CoinUserException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return UserError;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A defect: say so with its stack trace, exit 1 (not an unhandled crash, which skips every cleanup).
            Console.Error.WriteLine($"internal error (a defect of coin or a plugin; please report it): {e}");
            return InternalError;
        }
    }

    private static IHost BuildHost(CommandLine commandLine, IAnsiConsole console, Coin.Engine.Running.RunCancellation cancellation)
    {
        var resume = commandLine.ResumeDirectory is { } dir ? Coin.Engine.Running.ResumedRun.Open(dir)
            : commandLine.Evaluate is { } evaluate ? Coin.Engine.Running.ResumedRun.Open(evaluate.RunDirectory, toContinue: false)
            : commandLine.Export is { } export ? Coin.Engine.Running.ResumedRun.Open(export.RunDirectory, toContinue: false)
            : null;
        string? file = resume?.ExperimentFile ?? (commandLine.ExperimentFile is { } f ? Path.GetFullPath(f) : null);
        // The file as read, with every file it extends merged under it (checked on the way: a syntax error names its line).
        var experimentJson = file is null ? null : ExperimentFile.Read(file);
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ApplicationName = "coin" });
        // Overrides that switch a component's plugin drop the file's options for the old one (the environment
        // layer's values count too); a resumed run has neither.
        var environment = resume is null ? EnvironmentLayer.Read() : null;
        if (experimentJson is not null)
        {
            foreach (string dropped in ComponentTypeSwitch.Apply(experimentJson, (environment?.Values ?? new Dictionary<string, string?>()).Concat(commandLine.Overrides)))
                Console.Error.WriteLine($"note: {dropped} from {Path.GetFileName(file)} left out: the command line or environment sets another type");
            builder.Configuration.AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(experimentJson.ToJsonString())));
        }
        else if (commandLine.InlineExperiment is { } inline)
            builder.Configuration.AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(inline.ToJsonString())));
        // A resumed run keeps its configuration: no environment layer, no overrides.
        if (environment is not null)
        {
            builder.Configuration.AddInMemoryCollection(environment.Values);
            foreach (string ignored in environment.Ignored)
                Console.Error.WriteLine($"warning: environment variable {ignored} is ignored: it names no configuration key " +
                                        $"(COIN_<KEY> with KEY one of {string.Join(", ", EnvironmentLayer.TopLevelKeys.Select(k => k.ToUpperInvariant()).Order())})");
        }
        builder.Configuration.AddInMemoryCollection(commandLine.Overrides);

        builder.Services.AddSingleton(console);
        // What a run says goes to the console, and what it writes besides its record to TensorBoard and the report files.
        builder.Services.AddSingleton<Coin.Engine.Running.IRunObserver>(Presentation.StandardObservers.For(console));
        builder.Services.AddSingleton(cancellation);
        builder.Services.AddSingleton(environment ?? EnvironmentLayer.Read(new System.Collections.Hashtable()));
        builder.Services.AddSingleton(commandLine);
        builder.Services.AddSingleton(commandLine.Origins);
        builder.Services.AddSingleton(new Coin.Engine.Plugins.PluginDirectories.FromCommandLine(commandLine.PluginDirectories));
        builder.Services.AddSingleton(resume?.Source ?? commandLine.InlineSource ?? ExperimentSource.For(commandLine.ExperimentFile));
        builder.Services.AddSingleton(new Coin.Engine.Running.ResumeRequest(resume));
        builder.Services.AddSingleton<ExperimentLoader>();
        // The services the commands are built on: the engine's, and the plan's printout.
        builder.Services.AddSingleton<Coin.Engine.Plugins.PluginDirectories>();
        builder.Services.AddSingleton<Coin.Engine.Running.ExperimentRunner>();
        builder.Services.AddSingleton<Coin.Engine.Running.StageEvaluation>();
        builder.Services.AddSingleton<Presentation.RunPlan>();
        builder.Services.Scan(scan => scan.FromAssemblyOf<ICommand>()
            .AddClasses(classes => classes.AssignableTo<ICommand>()).As<ICommand>().WithSingletonLifetime());
        return builder.Build();
    }
}
