using Coin.Engine.ModelInit;
using Spectre.Console;
using static TorchSharp.torch;

namespace Coin.Host.Cli;

/// <summary><c>coin model init CONFIG --out DIR</c>: see <see cref="ModelFolderWriter"/>.</summary>
public sealed class ModelCommand(CommandLine commandLine, IAnsiConsole console) : ICommand
{
    public string Name => "model";

    public int Execute()
    {
        var options = commandLine.Model!;
        var dtype = options.DType == "float32" ? ScalarType.Float32 : ScalarType.BFloat16;
        console.MarkupLineInterpolated($"coin model init: {options.Config} → {options.Out} (seed {options.Seed}, {options.DType}, random weights)");
        var result = ModelFolderWriter.Write(options.Config, options.Out, options.Seed, dtype, (long)(options.ShardGigabytes * 1e9), line => console.WriteLine(line));
        console.MarkupLineInterpolated($"wrote {result.Tensors:N0} tensors, {result.Parameters:N0} parameters, {result.Bytes / 1e9:F2} GB in {result.Shards} file(s), {result.Seconds:F0} s");
        return 0;
    }
}
