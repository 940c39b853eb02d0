using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Coin.Plugins.Backbones.Llama;
using Coin.Plugins.Backbones.Text;

namespace Coin.Plugins.Backbones;

[CoinPlugin(PluginKind.Backbone, "llama", "0.4.0",
    "LLaMA, Qwen2 and Mistral decoders (RoPE scaling, GQA, sliding windows), HF folders or presets with word/byte tokenizers")]
public sealed class LlamaBackbonePlugin : PluginFactory<IBackbone, LlamaBackboneOptions>
{
    protected override IBackbone Create(LlamaBackboneOptions options, ComponentContext context)
    {
        if (options.Path is { } path) return FromFolder(context.ResolvePath(path), options);
        var tokenizer = options.Tokenizer == "bytes" ? new ByteTokenizer() : new WordTokenizer();
        var config = LlamaPresets.Resolve(options, tokenizer.VocabSize);
        // Refused before the weights are allocated: a process killed by the OOM killer says nothing.
        long bytes = config.ParameterCount * sizeof(float);
        if (context.AvailableMemoryBytes is { } available && bytes > available)
            throw new CoinUserException($"model.backbone: preset '{options.Preset}' has {config.ParameterCount:N0} parameters, {bytes / (double)(1L << 30):F1} GiB in float32, " +
                                        $"but {available / (double)(1L << 30):F1} GiB of memory are available");
        return new LlamaBackbone(new LlamaForCausalLM(config), tokenizer, Template(options.ChatTemplate, "<s>", "</s>"));
    }

    private static IBackbone FromFolder(string folder, LlamaBackboneOptions options)
    {
        // tokenizer.json first, as transformers prefers it; a SentencePiece tokenizer.model alone (LLaVA-1.5's Vicuna).
        string json = System.IO.Path.Combine(folder, "tokenizer.json"), sentencePiece = System.IO.Path.Combine(folder, "tokenizer.model");
        var (tokenizer, eosToken) = File.Exists(json) || !File.Exists(sentencePiece)
            ? HuggingFaceTokenizer.Load(json, options.EosToken ?? FolderChatTemplate.EosToken(folder)) is var hf ? ((ITokenizer)hf, hf.EosToken) : default
            : SentencePieceTokenizer.Load(sentencePiece) is var sp ? ((ITokenizer)sp, sp.EosToken) : default;
        var model = HuggingFaceCheckpoint.Load(folder, options.AcceptConfigFields);
        if (tokenizer.VocabSize > model.Config.VocabSize)
        {
            model.Dispose();
            throw new CoinUserException($"{folder}: tokenizer.json has {tokenizer.VocabSize} ids but config.json's vocab_size is {model.Config.VocabSize}");
        }
        // The template writes the BOS where the folder's tokenizer adds one (add_bos_token: LLaMA-2, Vicuna).
        return new LlamaBackbone(model, tokenizer, FolderChatTemplate.Create(options.ChatTemplate, folder, eosToken), folder);
    }

    private static IChatTemplate Template(string name, string bos, string eos)
        => name == "vicuna_v1" ? new VicunaV1ChatTemplate(bos, eos) : new PlainChatTemplate(bos, eos);
}
