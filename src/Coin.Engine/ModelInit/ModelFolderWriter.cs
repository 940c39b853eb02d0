using System.Diagnostics;
using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Nn.Safetensors;
using static TorchSharp.torch;

namespace Coin.Engine.ModelInit;

/// <summary><c>coin model init</c>: a randomly initialised Hugging Face folder of the shape a config.json describes
/// (up to LLaVA-1.5-7B), written one piece of one tensor at a time, so a 14 GB folder is made in a few hundred MB
/// of memory. For full-size runs on data of your own and for test fixtures; the weights are random, not a model.</summary>
/// <remarks>Values: norm weights 1, biases 0, everything else normal(0, 0.02) (LLaMA's initializer_range), drawn
/// from a generator seeded by the seed, the tensor's index and the piece's position, so a folder is a function of its
/// config and seed. Shards as transformers writes them: <c>model-0000k-of-0000n.safetensors</c> and
/// <c>model.safetensors.index.json</c>, or one <c>model.safetensors</c>. A byte-level tokenizer (no merges; ids 0–2
/// are &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;; LLaVA's &lt;image&gt; and &lt;pad&gt; at the config's ids) goes beside it.</remarks>
public static class ModelFolderWriter
{
    private const long PieceElements = 1L << 24;

    public sealed record Result(int Tensors, long Parameters, long Bytes, int Shards, double Seconds);

    public static Result Write(string configPath, string folder, int seed, ScalarType dtype, long shardBytes, Action<string> report)
    {
        if (!File.Exists(configPath)) throw new CoinUserException($"{configPath}: file not found");
        var layout = ModelFolderLayout.Read(configPath, dtype);
        TokenizerFiles.Check(layout);
        if (Directory.Exists(folder) && Directory.EnumerateFileSystemEntries(folder).Any())
            throw new CoinUserException($"{folder}: not empty; model init writes into a new or empty folder (it never overwrites)");
        bool created = !Directory.Exists(folder);
        Directory.CreateDirectory(folder);
        try
        {
            return WriteInto(configPath, folder, seed, shardBytes, report, layout);
        }
        catch
        {
            // A half-written folder would load as a model with missing tensors: remove what this call wrote.
            if (created) Directory.Delete(folder, recursive: true);
            else foreach (string entry in Directory.EnumerateFileSystemEntries(folder)) File.Delete(entry);
            throw;
        }
    }

    private static Result WriteInto(string configPath, string folder, int seed, long shardBytes, Action<string> report, ModelFolderLayout layout)
    {
        File.Copy(configPath, Path.Combine(folder, "config.json"));
        TokenizerFiles.Write(folder, layout);
        if (layout.IsLlava) WritePreprocessorConfig(folder, configPath);

        var shards = Shard(layout.Tensors, shardBytes);
        long totalBytes = layout.Tensors.Sum(t => t.Bytes), before = 0;
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;
        var index = layout.Tensors.Select((t, i) => (t.Name, i)).ToDictionary(x => x.Name, x => x.i);
        var weightMap = new JsonObject();
        for (int s = 0; s < shards.Count; s++)
        {
            string file = shards.Count == 1 ? "model.safetensors" : $"model-{s + 1:D5}-of-{shards.Count:D5}.safetensors";
            foreach (var spec in shards[s]) weightMap[spec.Name] = file;
            long shardStart = before;
            SafetensorsStreamWriter.Save(Path.Combine(folder, file), shards[s], (spec, first, count) => Values(spec, index[spec.Name], first, count, seed),
                new Dictionary<string, string> { ["format"] = "pt" }, PieceElements, written =>
                {
                    before = shardStart + written;
                    if (clock.Elapsed - lastReport < TimeSpan.FromSeconds(10)) return;
                    lastReport = clock.Elapsed;
                    double rate = before / clock.Elapsed.TotalSeconds;
                    report($"  writing {file}: {before / 1e9:F2} of {totalBytes / 1e9:F2} GB, {rate / 1e6:F0} MB/s, ETA {(totalBytes - before) / Math.Max(rate, 1):F0}s");
                });
        }
        if (shards.Count > 1)
        {
            var indexJson = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = totalBytes }, ["weight_map"] = weightMap };
            File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), indexJson.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        }
        return new(layout.Tensors.Count, layout.Tensors.Sum(t => t.Elements), totalBytes, shards.Count, clock.Elapsed.TotalSeconds);
    }

    private static List<List<TensorSpec>> Shard(IReadOnlyList<TensorSpec> tensors, long shardBytes)
    {
        var shards = new List<List<TensorSpec>> { new() };
        long size = 0;
        foreach (var spec in tensors)
        {
            if (size > 0 && size + spec.Bytes > shardBytes)
            {
                shards.Add([]);
                size = 0;
            }
            shards[^1].Add(spec);
            size += spec.Bytes;
        }
        return shards;
    }

    private static bool IsNormWeight(string name)
        => name.EndsWith("norm.weight", StringComparison.Ordinal) || name.EndsWith("layernorm.weight", StringComparison.Ordinal)
           || name.EndsWith("layer_norm1.weight", StringComparison.Ordinal) || name.EndsWith("layer_norm2.weight", StringComparison.Ordinal)
           || name.EndsWith("pre_layrnorm.weight", StringComparison.Ordinal);

    private static Tensor Values(TensorSpec spec, int tensorIndex, long first, long count, int seed)
    {
        if (IsNormWeight(spec.Name)) return ones(count, spec.DType);
        if (spec.Name.EndsWith(".bias", StringComparison.Ordinal)) return zeros(count, spec.DType);
        using var generator = new TorchSharp.torch.Generator(unchecked((ulong)seed * 1_000_003UL + (ulong)tensorIndex * 65_537UL + (ulong)(first / PieceElements)));
        return (randn(count, generator: generator) * 0.02).to_type(spec.DType);
    }

    /// <summary>CLIP's image processor settings as llava-hf ships them (OpenAI's mean and std, shortest edge and crop at
    /// the tower's size), for tools that read the folder with transformers.</summary>
    private static void WritePreprocessorConfig(string folder, string configPath)
    {
        var config = JsonNode.Parse(File.ReadAllText(configPath))!;
        int size = config["vision_config"]!["image_size"]!.GetValue<int>();
        var processor = new JsonObject
        {
            ["crop_size"] = new JsonObject { ["height"] = size, ["width"] = size },
            ["do_center_crop"] = true, ["do_convert_rgb"] = true, ["do_normalize"] = true, ["do_rescale"] = true, ["do_resize"] = true,
            ["image_mean"] = new JsonArray(0.48145466, 0.4578275, 0.40821073),
            ["image_processor_type"] = "CLIPImageProcessor",
            ["image_std"] = new JsonArray(0.26862954, 0.26130258, 0.27577711),
            ["processor_class"] = "LlavaProcessor", ["resample"] = 3, ["rescale_factor"] = 1.0 / 255,
            ["size"] = new JsonObject { ["shortest_edge"] = size },
        };
        File.WriteAllText(Path.Combine(folder, "preprocessor_config.json"), processor.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }
}
