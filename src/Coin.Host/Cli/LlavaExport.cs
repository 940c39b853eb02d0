using System.Text.Json.Nodes;
using Coin.Nn.Safetensors;
using static TorchSharp.torch;

namespace Coin.Host.Cli;

/// <summary><c>coin export</c> of a run whose backbone came from a llava-hf folder (LLaVA-1.5, LLaVA-NeXT, OneVision):
/// the PEFT adapter's modules named as in the llava model, and the merged model written back as one llava-hf folder
/// (the folder's config.json, the language model with the update folded in, the vision tower, the run's projector and
/// image_newline), each tensor named in the layout the source folder uses (transformers before 4.52:
/// <c>language_model.*</c>, <c>vision_tower.*</c>, <c>multi_modal_projector.*</c>; since: under <c>model.</c>).</summary>
internal sealed class LlavaExport
{
    private static readonly string[] ModelTypes = ["llava", "llava_next", "llava_onevision"];
    private static readonly string[] ProcessorFiles = ["preprocessor_config.json", "processor_config.json", "chat_template.json", "chat_template.jinja", "generation_config.json"];

    private readonly string source;
    private readonly bool currentNames;

    private LlavaExport(string source, bool currentNames) => (this.source, this.currentNames) = (source, currentNames);

    /// <summary>The export of a llava-hf folder, or null when <paramref name="folder"/> is none.</summary>
    public static LlavaExport? Of(string folder)
    {
        string config = Path.Combine(folder, "config.json");
        if (!Directory.Exists(folder) || !File.Exists(config)) return null;
        var root = JsonNode.Parse(Coin.Nn.Files.InputFile.ReadJsonText(config, Coin.Nn.Files.InputFile.Limits.Config, "config file"));
        if (root?["model_type"] is not JsonValue type || !type.TryGetValue(out string? name) || !ModelTypes.Contains(name)) return null;
        using var weights = SafetensorsCheckpoint.Open(folder);
        return new LlavaExport(folder, weights.Names.Any(n => n.StartsWith("model.language_model.", StringComparison.Ordinal)));
    }

    /// <summary>A language model's tensor or module name (<c>model.layers.0…</c>, <c>lm_head…</c>) in the llava model.</summary>
    public string LanguageModelName(string name) => currentNames
        ? name.StartsWith("model.", StringComparison.Ordinal) ? "model.language_model." + name["model.".Length..] : name
        : "language_model." + name;

    private string TowerName(string name) => (currentNames ? "model.vision_tower." : "vision_tower.") + name;

    /// <summary>The connector's names (<c>mm_projector.0/2.*</c>, <c>image_newline</c>) in the llava model.</summary>
    private string ProjectorName(string name)
    {
        string prefix = currentNames ? "model." : "";
        if (name == "image_newline") return prefix + "image_newline";
        if (name.StartsWith("mm_projector.0.", StringComparison.Ordinal)) return prefix + "multi_modal_projector.linear_1." + name["mm_projector.0.".Length..];
        if (name.StartsWith("mm_projector.2.", StringComparison.Ordinal)) return prefix + "multi_modal_projector.linear_2." + name["mm_projector.2.".Length..];
        throw new InvalidOperationException($"the connector's tensor '{name}' has no name in a llava-hf folder");
    }

    /// <summary>Renames the modules of the PEFT adapter just written in <paramref name="peft"/> (base_model.model.NAME…)
    /// to the llava model's, so that PEFT applies it to the folder it names.</summary>
    public void RenamePeft(string peft)
    {
        string file = Path.Combine(peft, "adapter_model.safetensors");
        using var scope = NewDisposeScope();
        List<KeyValuePair<string, Tensor>> renamed;
        using (var adapter = SafetensorsCheckpoint.Open(peft, "adapter_model"))
            renamed = adapter.Names.Select(n => KeyValuePair.Create("base_model.model." + LanguageModelName(n["base_model.model.".Length..]), adapter.Load(n))).ToList();
        SafetensorsWriter.Save(file, renamed, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>The llava-hf folder: <paramref name="languageModel"/> (the merged language model as a causal LM's
    /// folder) renamed, the tower (the run's when it trained, else the source's tensors), the run's projector, the
    /// source's config.json and its tokenizer and processor files.</summary>
    public void WriteMerged(string languageModel, string folder, IEnumerable<KeyValuePair<string, Tensor>>? trainedTower,
        IEnumerable<KeyValuePair<string, Tensor>> connector)
    {
        Directory.CreateDirectory(folder);
        using var scope = NewDisposeScope();
        using var merged = SafetensorsCheckpoint.Open(languageModel);
        using var original = SafetensorsCheckpoint.Open(source);
        string towerPrefix = TowerName("");
        var tensors = merged.Names.Select(n => KeyValuePair.Create(LanguageModelName(n), merged.Load(n)))
            .Concat(trainedTower?.Select(kv => KeyValuePair.Create(TowerName(kv.Key), kv.Value))
                    ?? original.Names.Where(n => n.StartsWith(towerPrefix, StringComparison.Ordinal)).Select(n => KeyValuePair.Create(n, original.Load(n))))
            .Concat(connector.Select(kv => KeyValuePair.Create(ProjectorName(kv.Key), kv.Value)))
            .ToList();
        SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        File.Copy(Path.Combine(source, "config.json"), Path.Combine(folder, "config.json"), overwrite: true);
        foreach (string file in Directory.EnumerateFiles(languageModel).Select(f => Path.GetFileName(f)).Where(f => f is not ("model.safetensors" or "config.json")))
            File.Copy(Path.Combine(languageModel, file), Path.Combine(folder, file), overwrite: true);
        foreach (string file in ProcessorFiles.Where(f => File.Exists(Path.Combine(source, f))))
            File.Copy(Path.Combine(source, file), Path.Combine(folder, file), overwrite: true);
    }
}
