using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Coin.Engine.Composition;
using Coin.Engine.Configuration;
using Coin.Engine.Plugins;
using Coin.Engine.Running;
using Spectre.Console;

namespace Coin.Host.Cli;

/// <summary><c>coin export RUN_DIR --stage STAGE --out DIR</c>: the model of one evaluation stage for the rest of the
/// ecosystem: <c>DIR/peft/</c> (the adapter as PEFT's adapter_config.json + adapter_model.safetensors),
/// <c>DIR/merged/</c> (the backbone with the adapter folded in, as a Hugging Face folder with its tokenizer files),
/// and <c>DIR/&lt;component&gt;.safetensors</c> for every other component the run trained (the connector: LLaVA's
/// projector). What a plugin cannot export is said, with its reason; exit 2 when nothing could be.</summary>
public sealed class ExportCommand(CommandLine commandLine, ExperimentLoader loader, PluginDirectories directories, IAnsiConsole console, Coin.Engine.Running.IRunObserver observer,
    RunCancellation cancellation) : ICommand
{
    public string Name => "export";

    public int Execute()
    {
        var options = commandLine.Export!;
        var experiment = loader.Load();
        var plan = ExperimentPlanner.Plan(experiment, PluginCatalog.LoadForUse(directories.For(experiment)));
        using var run = StageEvaluation.Restore(experiment, plan, options.RunDirectory, options.Stage, observer, cancellation.Token);
        return run.Naming(() => Write(experiment, plan, run, options));
    }

    private int Write(Experiment experiment, CompositionPlan plan, ComposedExperiment run, ExportOptions options)
    {
        Directory.CreateDirectory(options.Out);
        var written = new List<string>();
        void Skip(string what, string why) => console.MarkupLineInterpolated($"[yellow]{what}: not written[/]: {why}");

        var backbone = run.Model.Backbone;
        var adapter = run.Adapter as IPeftExport;
        string baseModel = experiment.Config.Model.Backbone.Options?["path"]?.ToString() is { Length: > 0 } path ? experiment.ResolvePath(path) : plan.Backbone.Plugin.Name;
        // A llava-hf folder's run is exported as that folder's model: PEFT's module names and the merged folder in its layout.
        var llava = LlavaExport.Of(baseModel);
        if (adapter is null) Skip("peft", $"the adapter '{plan.Adapter.Plugin.Name}' writes no PEFT adapter");
        else if (adapter.PeftRefusal is { } peftWhy) Skip("peft", peftWhy);
        else
        {
            adapter.SavePeft(Path.Combine(options.Out, "peft"), baseModel);
            llava?.RenamePeft(Path.Combine(options.Out, "peft"));
            written.Add(Path.Combine(options.Out, "peft"));
        }

        // Other trained components in full (PEFT's adapter holds only the language model's update).
        foreach (var group in run.Model.TrainableGroups.Where(g => g.Name != ComponentNames.Backbone))
        {
            string file = Path.Combine(options.Out, $"{group.Name}.safetensors");
            var modules = run.Model.ComponentModules(group.Name);
            var tensors = modules.SelectMany(m => m.state_dict()).Where(kv => !kv.Key.Contains(".lora_", StringComparison.Ordinal));
            Coin.Nn.Safetensors.SafetensorsWriter.Save(file, tensors.ToList(), new Dictionary<string, string> { ["format"] = "pt" });
            written.Add(file);
        }

        if (backbone is not IHuggingFaceExport export) Skip("merged", $"the backbone '{plan.Backbone.Plugin.Name}' cannot write a Hugging Face folder");
        else if (export.ExportRefusal is { } exportWhy) Skip("merged", $"{plan.Backbone.KeyPath} '{plan.Backbone.Plugin.Name}': {exportWhy}");
        else if (run.Adapter is not IPeftExport && run.Model.TrainableGroups.Any(g => g.Name == ComponentNames.Backbone) && plan.Adapter.Plugin.Name != "full")
            Skip("merged", $"the adapter '{plan.Adapter.Plugin.Name}' cannot fold its update into the base weights");
        else if (adapter?.MergeRefusal is { } mergeWhy) Skip("merged", mergeWhy);
        else
        {
            adapter?.MergeIntoBase();
            string merged = Path.Combine(options.Out, "merged");
            if (llava is null) export.SaveHuggingFace(merged);
            else
            {
                // The language model alone first, then the llava folder around it.
                string languageModel = Path.Combine(options.Out, ".merged-language-model");
                export.SaveHuggingFace(languageModel);
                bool towerTrained = run.Model.TrainableGroups.Any(g => g.Name == ComponentNames.Encoder);
                llava.WriteMerged(languageModel, merged,
                    towerTrained ? run.Model.ComponentModules(ComponentNames.Encoder).SelectMany(m => m.state_dict()) : null,
                    run.Model.ComponentModules(ComponentNames.Connector).SelectMany(m => m.state_dict()).Where(kv => !kv.Key.Contains(".lora_", StringComparison.Ordinal)));
                Directory.Delete(languageModel, recursive: true);
            }
            written.Add(merged);
        }

        foreach (string item in written) console.MarkupLineInterpolated($"wrote {item}");
        if (written.Count == 0) throw new CoinUserException($"coin export: nothing of stage '{options.Stage}' could be exported (reasons above)");
        return 0;
    }
}
