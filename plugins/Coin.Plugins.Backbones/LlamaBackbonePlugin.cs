using Coin.Abstractions.Components;
using Coin.Abstractions.Plugins;
using Coin.Plugins.Backbones.Llama;
using Coin.Plugins.Backbones.Text;

namespace Coin.Plugins.Backbones;

[CoinPlugin(PluginKind.Backbone, "llama", "0.1.0",
    "LLaMA-architecture decoder (RMSNorm, RoPE, GQA, SwiGLU), HF parameter names, byte tokenizer for tiny presets")]
public sealed class LlamaBackbonePlugin : PluginFactory<IBackbone, LlamaBackboneOptions>
{
    protected override IBackbone Create(LlamaBackboneOptions options, ComponentContext context)
    {
        var tokenizer = new ByteTokenizer();
        var config = LlamaPresets.Resolve(options, tokenizer.VocabSize);
        IChatTemplate template = options.ChatTemplate == "vicuna_v1"
            ? new VicunaV1ChatTemplate("<s>", "</s>")
            : new PlainChatTemplate("<s>", "</s>");
        return new LlamaBackbone(new LlamaForCausalLM(config), tokenizer, template);
    }
}
