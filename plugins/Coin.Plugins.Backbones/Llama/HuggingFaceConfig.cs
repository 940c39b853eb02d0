using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;

namespace Coin.Plugins.Backbones.Llama;

/// <summary>Reads and writes the LLaMA-family fields of a Hugging Face <c>config.json</c>.</summary>
public static class HuggingFaceConfig
{
    private static readonly string[] SupportedModelTypes = ["llama", "qwen2"];

    public static LlamaConfig Read(string path)
    {
        if (!File.Exists(path)) throw new CoinUserException($"{path}: config.json not found");
        JsonNode root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) ?? throw new JsonException("empty document");
        }
        catch (JsonException e)
        {
            throw new CoinUserException($"{path}: malformed JSON ({e.Message})");
        }
        string modelType = root["model_type"]?.GetValue<string>() ?? "";
        if (!SupportedModelTypes.Contains(modelType))
            throw new CoinUserException($"{path}: model_type '{modelType}' is not supported; accepted: {string.Join(", ", SupportedModelTypes)}");
        int Int(string key, int? fallback = null)
        {
            if (root[key] is not { } node) return fallback ?? throw new CoinUserException($"{path}: missing integer '{key}'");
            try
            {
                return node.GetValue<int>();
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new CoinUserException($"{path}: '{key}' is {node.ToJsonString()}; expected an integer");
            }
        }
        int heads = Int("num_attention_heads");
        var config = new LlamaConfig(
            VocabSize: Int("vocab_size"),
            HiddenSize: Int("hidden_size"),
            IntermediateSize: Int("intermediate_size"),
            NumHiddenLayers: Int("num_hidden_layers"),
            NumAttentionHeads: heads,
            NumKeyValueHeads: Int("num_key_value_heads", heads),
            RopeTheta: root["rope_theta"]?.GetValue<double>() ?? 10000.0,
            RmsNormEps: root["rms_norm_eps"]?.GetValue<double>() ?? 1e-6,
            TieWordEmbeddings: root["tie_word_embeddings"]?.GetValue<bool>() ?? false,
            AttentionBias: root["attention_bias"]?.GetValue<bool>() ?? modelType == "qwen2");
        try
        {
            config.Validate();
        }
        catch (ArgumentException e)
        {
            throw new CoinUserException($"{path}: {e.Message}");
        }
        return config;
    }

    public static void Write(string path, LlamaConfig config)
    {
        var root = new JsonObject
        {
            ["architectures"] = new JsonArray("LlamaForCausalLM"),
            ["model_type"] = "llama",
            ["vocab_size"] = config.VocabSize,
            ["hidden_size"] = config.HiddenSize,
            ["intermediate_size"] = config.IntermediateSize,
            ["num_hidden_layers"] = config.NumHiddenLayers,
            ["num_attention_heads"] = config.NumAttentionHeads,
            ["num_key_value_heads"] = config.NumKeyValueHeads,
            ["rope_theta"] = config.RopeTheta,
            ["rms_norm_eps"] = config.RmsNormEps,
            ["tie_word_embeddings"] = config.TieWordEmbeddings,
            ["attention_bias"] = config.AttentionBias,
            ["hidden_act"] = "silu",
            ["torch_dtype"] = "float32",
        };
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
