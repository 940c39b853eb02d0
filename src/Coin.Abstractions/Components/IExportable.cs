namespace Coin.Abstractions.Components;

/// <summary>Optional for a backbone: writes its base weights (without anything an adapter injected) as a Hugging
/// Face model folder — config.json, model.safetensors and the tokenizer's files — that loads back with the same
/// logits. <c>coin export</c> calls it after the adapter has merged itself. Contract 1.3.</summary>
public interface IHuggingFaceExport
{
    /// <summary>Why this backbone cannot be written as a Hugging Face folder (e.g. a tokenizer of its own), or null.</summary>
    string? ExportRefusal { get; }

    void SaveHuggingFace(string folder);
}

/// <summary>Optional for an adapter: writes its trained update as a PEFT adapter of the backbone
/// (adapter_config.json + adapter_model.safetensors) and folds the update into the base weights. Contract 1.3.</summary>
public interface IPeftExport
{
    /// <summary>Why the update cannot be written as a PEFT adapter (e.g. MoELoRA's router), or null.</summary>
    string? PeftRefusal { get; }

    /// <summary>Why the update cannot be folded into the base weights, or null.</summary>
    string? MergeRefusal { get; }

    /// <param name="folder">Receives adapter_config.json and adapter_model.safetensors.</param>
    /// <param name="baseModel">What adapter_config.json names as the base model (its base_model_name_or_path).</param>
    void SavePeft(string folder, string baseModel);

    /// <summary>Adds the update to the base weights; the adapter adds nothing afterwards.</summary>
    void MergeIntoBase();
}
