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

/// <summary>A language model run on a spliced sequence of embeddings, as the llava golden tests compare it with the
/// reference: logits of the whole sequence, greedy tokens recomputed from scratch each step.</summary>
internal static class SplicedSequence
{
    /// <summary>The embeddings of <paramref name="ids"/>: [tokens, hidden].</summary>
    public static Tensor Embed(Coin.Plugins.Backbones.Llama.LlamaForCausalLM model, long[] ids) => model.Embed(tensor(ids, [1, ids.Length]))[0];

    /// <summary>[tokens, vocab] for [tokens, hidden] embeddings, no padding.</summary>
    public static Tensor Logits(Coin.Plugins.Backbones.Llama.LlamaForCausalLM model, Tensor embeddings)
        => model.Forward(embeddings.unsqueeze(0), ones(1, embeddings.shape[0], dtype: ScalarType.Int64), null)[0];

    /// <summary><paramref name="count"/> tokens, each the argmax of the last position's logits, appended and the
    /// whole sequence recomputed (as the references do).</summary>
    public static List<long> Greedy(Coin.Plugins.Backbones.Llama.LlamaForCausalLM model, Tensor sequence, int count)
    {
        var tokens = new List<long>();
        for (int i = 0; i < count; i++)
        {
            long next = Logits(model, sequence)[-1].argmax().item<long>();
            tokens.Add(next);
            sequence = cat([sequence, Embed(model, [next])], 0);
        }
        return tokens;
    }

    /// <summary>The largest absolute difference over the largest absolute reference value.</summary>
    public static double RelativeError(Tensor actual, Tensor expected)
        => (actual - expected).abs().max().item<float>() / (double)expected.abs().max().item<float>();
}
