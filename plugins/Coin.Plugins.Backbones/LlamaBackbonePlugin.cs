using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Coin.Nn.Quantization;
using Coin.Plugins.Backbones.Llama;
using Coin.Plugins.Backbones.Text;

namespace Coin.Plugins.Backbones;

[CoinPlugin(PluginKind.Backbone, "llama", "0.7.0",
    "LLaMA, Qwen2 and Mistral decoders (RoPE scaling, GQA, sliding windows), HF folders or presets with word, byte or English BPE tokenizers")]
internal sealed class LlamaBackbonePlugin : PluginFactory<IBackbone, LlamaBackboneOptions>
{
    protected override IBackbone Create(LlamaBackboneOptions options, ComponentContext context)
    {
        if (options.Path is { } path) return FromFolder(context.ResolvePath(path), options, shapesOnly: context.Device.type == TorchSharp.DeviceType.META);
        var tokenizer = PresetTokenizers.Create(options.Tokenizer);
        var config = LlamaPresets.Resolve(options, tokenizer.VocabSize);
        // Refused before the weights are allocated: a process killed by the OOM killer says nothing.
        long bytes = config.ParameterCount * sizeof(float);
        if (context.AvailableMemoryBytes is { } available && bytes > available)
            throw new CoinOptionException(null, $"preset '{options.Preset}' has {config.ParameterCount:N0} parameters, {bytes / (double)(1L << 30):F1} GiB in float32, " +
                                        $"but {available / (double)(1L << 30):F1} GiB of memory are available");
        return new LlamaBackbone(new LlamaForCausalLM(config), tokenizer, FolderChatTemplate.Named(options.ChatTemplate, "<s>", "</s>"));
    }

    /// <param name="shapesOnly">A memory plan on the meta device: the weights' names and shapes are read, not their values.</param>
    private static IBackbone FromFolder(string folder, LlamaBackboneOptions options, bool shapesOnly)
    {
        // tokenizer.json first, as transformers prefers it; a SentencePiece tokenizer.model alone (LLaVA-1.5's Vicuna).
        string json = System.IO.Path.Combine(folder, "tokenizer.json"), sentencePiece = System.IO.Path.Combine(folder, "tokenizer.model");
        bool fromJson = File.Exists(json) || !File.Exists(sentencePiece);
        ITokenizer tokenizer;
        string eosToken;
        if (fromJson)
        {
            var hf = HuggingFaceTokenizer.Load(json, options.EosToken ?? FolderChatTemplate.EosToken(folder));
            (tokenizer, eosToken) = (hf, hf.EosToken);
        }
        else
        {
            var sp = SentencePieceTokenizer.Load(sentencePiece, options.EosToken ?? FolderChatTemplate.EosToken(folder));
            (tokenizer, eosToken) = (sp, sp.EosToken);
        }
        FrozenWeights? frozen = FrozenWeightsNames.TryParse(options.FrozenWeights, out var format) ? format : null;
        var model = HuggingFaceCheckpoint.Load(folder, options.AcceptConfigFields, frozen, shapesOnly);
        if (tokenizer.VocabSize > model.Config.VocabSize)
        {
            model.Dispose();
            throw new CoinUserException($"{folder}: {(fromJson ? "tokenizer.json" : "tokenizer.model")} has {tokenizer.VocabSize} ids but config.json's vocab_size is {model.Config.VocabSize}");
        }
        // The template writes the BOS where the folder's tokenizer adds one (add_bos_token: LLaMA-2, Vicuna).
        return new LlamaBackbone(model, tokenizer, FolderChatTemplate.Create(options.ChatTemplate, folder, eosToken), folder);
    }
}
