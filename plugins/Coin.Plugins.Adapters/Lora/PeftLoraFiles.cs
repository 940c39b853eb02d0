using System.Text.Json.Nodes;
using Coin.Abstractions.Components;
using static TorchSharp.torch;

namespace Coin.Plugins.Adapters.Lora;

/// <summary>PEFT's files for a LoRA of a causal LM: tensors named <c>base_model.model.{module}.lora_A.weight</c>
/// (r × in) and <c>lora_B.weight</c> (out × r), as PEFT saves them (without the adapter name), and the LoraConfig fields
/// that define the computation (PEFT adds (lora_alpha / r) · B A x to each target's output).</summary>
internal static class PeftLoraFiles
{
    /// <summary>Why LoRA on these components cannot be a PEFT adapter (one of the language model only), or null.</summary>
    public static string? OutsideLanguageModel(IEnumerable<string> targets)
        => targets.Where(t => t != ComponentNames.Backbone).ToList() is { Count: > 0 } outside
            ? $"LoRA on the {string.Join(" and ", outside)} is not part of a PEFT adapter of the language model"
            : null;

    /// <param name="layers">Each adapted linear's dotted name and its A and B.</param>
    /// <param name="targetPatterns">The adapter's target patterns: plain names are written as PEFT users write them,
    /// anything else as the adapted modules' full names, which PEFT matches exactly.</param>
    public static void Write(string folder, string baseModel, IReadOnlyList<(string Name, Tensor A, Tensor B)> layers, int rank, double alpha, double dropout,
        IReadOnlyList<string> targetPatterns)
    {
        Directory.CreateDirectory(folder);
        var tensors = layers.SelectMany(l => new[]
        {
            KeyValuePair.Create($"base_model.model.{l.Name}.lora_A.weight", l.A),
            KeyValuePair.Create($"base_model.model.{l.Name}.lora_B.weight", l.B),
        });
        Coin.Nn.Safetensors.SafetensorsWriter.Save(Path.Combine(folder, "adapter_model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        bool plain = targetPatterns.All(p => System.Text.RegularExpressions.Regex.IsMatch(p, "^[A-Za-z0-9_]+$"));
        var targets = plain ? layers.Select(l => l.Name.Split('.')[^1]).Distinct().Order() : layers.Select(l => l.Name).Order();
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["base_model_name_or_path"] = baseModel,
            ["r"] = rank,
            ["lora_alpha"] = alpha,
            ["lora_dropout"] = dropout,
            ["target_modules"] = new JsonArray(targets.Select(t => (JsonNode)t).ToArray()),
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["use_rslora"] = false,
            ["use_dora"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["modules_to_save"] = null,
            ["layers_to_transform"] = null,
            ["layers_pattern"] = null,
            ["rank_pattern"] = new JsonObject(),
            ["alpha_pattern"] = new JsonObject(),
        };
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }
}
