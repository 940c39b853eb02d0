using Coin.Nn.Safetensors;
using static TorchSharp.torch;

namespace Coin.Tests.Support;

/// <summary>llava-hf folders as other versions of transformers save them.</summary>
public static class LlavaFolders
{
    /// <summary>A copy of <paramref name="source"/> (config.json and model.safetensors, tensors named as transformers
    /// before 4.52 saves them: language_model.*, vision_tower.*, multi_modal_projector.*, image_newline) with the names
    /// transformers gives since 4.52: model.language_model.*, lm_head, model.vision_tower.*, model.multi_modal_projector.*,
    /// model.image_newline.</summary>
    public static string WithCurrentNames(string source)
    {
        string folder = TestPaths.NewTemporaryDirectory("llava-hf-current");
        File.Copy(Path.Combine(source, "config.json"), Path.Combine(folder, "config.json"));
        using var scope = NewDisposeScope();
        using var old = SafetensorsCheckpoint.Open(source);
        static string Current(string name) => name.StartsWith("language_model.model.", StringComparison.Ordinal) ? "model.language_model." + name["language_model.model.".Length..]
            : name == "language_model.lm_head.weight" ? "lm_head.weight" : "model." + name;
        SafetensorsWriter.Save(Path.Combine(folder, "model.safetensors"), old.Names.Select(n => KeyValuePair.Create(Current(n), old.Load(n))).ToList());
        return folder;
    }
}
