using System.Text.Json;
using Coin.Engine.Composition;
using Coin.Engine.Configuration;
using Coin.Engine.Plugins;

namespace Coin.Host.Cli;

/// <summary><c>coin schema</c>: the JSON Schema of experiment files, with the options of every discovered plugin,
/// on standard output (<c>coin schema &gt; experiment.schema.json</c>).</summary>
public sealed class SchemaCommand(ExperimentLoader loader, PluginDirectories directories) : ICommand
{
    public string Name => "schema";

    public int Execute()
    {
        var catalog = PluginCatalog.LoadForUse(directories.For(loader.Load()));
        Console.Out.WriteLine(ExperimentSchema.Build(catalog).ToJsonString(new JsonSerializerOptions
        {
            WriteIndented = true,
            // Descriptions hold quotes, <, > and non-ASCII (≤, λ): keep them readable in the file.
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }));
        return 0;
    }
}
