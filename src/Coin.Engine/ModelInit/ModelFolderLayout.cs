using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Nn.Safetensors;
using static TorchSharp.torch;

namespace Coin.Engine.ModelInit;

/// <summary>The tensors of a Hugging Face folder described by a config.json: a LLaMA-architecture language model
/// (<c>model_type: llama</c>), or LLaVA-1.5 in the llava-hf layout (<c>model_type: llava</c>: a LLaMA
/// <c>text_config</c>, a CLIP <c>vision_config</c> and the mlp2x-gelu projector), with transformers' names and
/// shapes. What it does not describe it refuses, naming the field.</summary>
public sealed record ModelFolderLayout(IReadOnlyList<TensorSpec> Tensors, bool IsLlava, int VocabSize, int? ImageTokenIndex, int? PadTokenId)
{
    public static ModelFolderLayout Read(string configPath, ScalarType dtype)
    {
        JsonObject config;
        try
        {
            config = JsonNode.Parse(File.ReadAllText(configPath)) as JsonObject ?? throw new CoinUserException($"{configPath}: not a JSON object");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new CoinUserException($"{configPath}: not valid JSON ({e.Message})");
        }
        string type = Text(config, "model_type", configPath);
        var tensors = new List<TensorSpec>();
        switch (type)
        {
            case "llama":
            {
                int vocab = Language(config, "", configPath, tensors, dtype);
                return new(tensors, false, vocab, null, null);
            }
            case "llava":
            {
                var text = config["text_config"] as JsonObject ?? throw new CoinUserException($"{configPath}: text_config is missing");
                var vision = config["vision_config"] as JsonObject ?? throw new CoinUserException($"{configPath}: vision_config is missing");
                if (Text(text, "model_type", configPath, "text_config.") != "llama")
                    throw new CoinUserException($"{configPath}: text_config.model_type '{text["model_type"]}': the writer makes LLaMA language models");
                if (Text(vision, "model_type", configPath, "vision_config.") != "clip_vision_model")
                    throw new CoinUserException($"{configPath}: vision_config.model_type '{vision["model_type"]}': the writer makes CLIP vision towers");
                if (config["projector_hidden_act"]?.GetValue<string>() is { } act && act != "gelu")
                    throw new CoinUserException($"{configPath}: projector_hidden_act '{act}': the writer makes LLaVA-1.5's mlp2x-gelu projector");
                int vocab = Language(text, "language_model.", configPath, tensors, dtype, "text_config.");
                int visionWidth = Vision(vision, "vision_tower.vision_model.", configPath, tensors, dtype);
                int hidden = Integer(text, "hidden_size", configPath, "text_config.");
                tensors.Add(new("multi_modal_projector.linear_1.weight", dtype, [hidden, visionWidth]));
                tensors.Add(new("multi_modal_projector.linear_1.bias", dtype, [hidden]));
                tensors.Add(new("multi_modal_projector.linear_2.weight", dtype, [hidden, hidden]));
                tensors.Add(new("multi_modal_projector.linear_2.bias", dtype, [hidden]));
                int image = Integer(config, "image_token_index", configPath);
                int? pad = config["pad_token_id"]?.GetValue<int>();
                if (image >= vocab) throw new CoinUserException($"{configPath}: image_token_index {image} is not below text_config.vocab_size {vocab}");
                return new(tensors, true, vocab, image, pad);
            }
            default:
                throw new CoinUserException($"{configPath}: model_type '{type}': the writer makes llama and llava folders");
        }
    }

    /// <returns>The vocabulary size.</returns>
    private static int Language(JsonObject c, string prefix, string path, List<TensorSpec> tensors, ScalarType dtype, string field = "")
    {
        int vocab = Integer(c, "vocab_size", path, field), hidden = Integer(c, "hidden_size", path, field);
        int intermediate = Integer(c, "intermediate_size", path, field), layers = Integer(c, "num_hidden_layers", path, field);
        int heads = Integer(c, "num_attention_heads", path, field);
        int kvHeads = c["num_key_value_heads"] is null ? heads : Integer(c, "num_key_value_heads", path, field);
        int headDim = c["head_dim"] is null ? hidden / heads : Integer(c, "head_dim", path, field);
        foreach (string flag in new[] { "attention_bias", "mlp_bias" })
            if (c[flag]?.GetValue<bool>() == true) throw new CoinUserException($"{path}: {field}{flag} is true: the writer makes LLaMA without biases");
        bool tied = c["tie_word_embeddings"]?.GetValue<bool>() ?? false;
        string model = prefix + "model.";
        tensors.Add(new(model + "embed_tokens.weight", dtype, [vocab, hidden]));
        for (int i = 0; i < layers; i++)
        {
            string layer = $"{model}layers.{i}.";
            tensors.Add(new(layer + "input_layernorm.weight", dtype, [hidden]));
            tensors.Add(new(layer + "self_attn.q_proj.weight", dtype, [heads * headDim, hidden]));
            tensors.Add(new(layer + "self_attn.k_proj.weight", dtype, [kvHeads * headDim, hidden]));
            tensors.Add(new(layer + "self_attn.v_proj.weight", dtype, [kvHeads * headDim, hidden]));
            tensors.Add(new(layer + "self_attn.o_proj.weight", dtype, [hidden, heads * headDim]));
            tensors.Add(new(layer + "post_attention_layernorm.weight", dtype, [hidden]));
            tensors.Add(new(layer + "mlp.gate_proj.weight", dtype, [intermediate, hidden]));
            tensors.Add(new(layer + "mlp.up_proj.weight", dtype, [intermediate, hidden]));
            tensors.Add(new(layer + "mlp.down_proj.weight", dtype, [hidden, intermediate]));
        }
        tensors.Add(new(model + "norm.weight", dtype, [hidden]));
        if (!tied) tensors.Add(new(prefix + "lm_head.weight", dtype, [vocab, hidden]));
        return vocab;
    }

    /// <returns>The tower's width.</returns>
    private static int Vision(JsonObject c, string prefix, string path, List<TensorSpec> tensors, ScalarType dtype)
    {
        const string field = "vision_config.";
        int width = Integer(c, "hidden_size", path, field), intermediate = Integer(c, "intermediate_size", path, field);
        int layers = Integer(c, "num_hidden_layers", path, field), image = Integer(c, "image_size", path, field), patch = Integer(c, "patch_size", path, field);
        int channels = c["num_channels"] is null ? 3 : Integer(c, "num_channels", path, field);
        if (image % patch != 0) throw new CoinUserException($"{path}: vision_config.image_size {image} is not a multiple of patch_size {patch}");
        long positions = (long)(image / patch) * (image / patch) + 1;
        tensors.Add(new(prefix + "embeddings.class_embedding", dtype, [width]));
        tensors.Add(new(prefix + "embeddings.patch_embedding.weight", dtype, [width, channels, patch, patch]));
        tensors.Add(new(prefix + "embeddings.position_embedding.weight", dtype, [positions, width]));
        tensors.Add(new(prefix + "pre_layrnorm.weight", dtype, [width]));
        tensors.Add(new(prefix + "pre_layrnorm.bias", dtype, [width]));
        for (int i = 0; i < layers; i++)
        {
            string layer = $"{prefix}encoder.layers.{i}.";
            foreach (string projection in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
            {
                tensors.Add(new($"{layer}self_attn.{projection}.weight", dtype, [width, width]));
                tensors.Add(new($"{layer}self_attn.{projection}.bias", dtype, [width]));
            }
            foreach (string norm in new[] { "layer_norm1", "layer_norm2" })
            {
                tensors.Add(new($"{layer}{norm}.weight", dtype, [width]));
                tensors.Add(new($"{layer}{norm}.bias", dtype, [width]));
            }
            tensors.Add(new(layer + "mlp.fc1.weight", dtype, [intermediate, width]));
            tensors.Add(new(layer + "mlp.fc1.bias", dtype, [intermediate]));
            tensors.Add(new(layer + "mlp.fc2.weight", dtype, [width, intermediate]));
            tensors.Add(new(layer + "mlp.fc2.bias", dtype, [width]));
        }
        tensors.Add(new(prefix + "post_layernorm.weight", dtype, [width]));
        tensors.Add(new(prefix + "post_layernorm.bias", dtype, [width]));
        return width;
    }

    private static string Text(JsonObject c, string key, string path, string field = "")
        => c[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new CoinUserException($"{path}: {field}{key} is missing or not a string");

    private static int Integer(JsonObject c, string key, string path, string field = "")
        => c[key] is JsonValue v && v.TryGetValue<int>(out int n) && n > 0 ? n
            : throw new CoinUserException($"{path}: {field}{key} is missing or not a positive integer");
}
