using Coin.Abstractions.Components;
using Coin.Plugins.Backbones.Llama;
using static TorchSharp.torch;

namespace Coin.Plugins.Backbones;

/// <summary>The <c>llama</c> backbone: a LLaMA-architecture causal LM with its tokenizer and chat template.</summary>
public sealed class LlamaBackbone(LlamaForCausalLM model, ITokenizer tokenizer, IChatTemplate chatTemplate) : IBackbone
{
    public nn.Module Module => model;
    public LlamaForCausalLM Model => model;
    public int HiddenSize => model.Config.HiddenSize;
    public ITokenizer Tokenizer => tokenizer;
    public IChatTemplate ChatTemplate => chatTemplate;

    public Tensor Embed(Tensor inputIds) => model.Embed(inputIds);

    public Tensor Forward(Tensor inputEmbeddings, Tensor attentionMask, IKeyValueCache? cache = null)
    {
        if (cache is not null and not KeyValueCache)
            throw new ArgumentException($"cache was created by another backbone ({cache.GetType().Name})");
        return model.Forward(inputEmbeddings, attentionMask, (KeyValueCache?)cache);
    }

    public IKeyValueCache CreateCache() => new KeyValueCache(model.Config.NumHiddenLayers);

    public void Dispose() => model.Dispose();
}
