using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Engine.Modeling;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>Inputs prepared once per file are reused, give the same tensors, and the budget is respected.</summary>
public class PreparedInputCacheTests
{
    private sealed class CountingEncoder : IEncoder
    {
        public int Prepared { get; private set; }
        public string Modality => "image";
        public nn.Module Module => throw new NotSupportedException();
        public int OutputDim => 2;
        public int TokensPerInput => 1;

        public Tensor Prepare(IReadOnlyList<ModalityInput> inputs)
        {
            Prepared += inputs.Count;
            return stack(inputs.Select(i => full(2, (float)i.Path!.Length)).ToArray());
        }

        public Tensor Encode(Tensor prepared) => prepared;
        public void Dispose() { }
    }

    private static ModalityInput Image(string path) => new("image", path);

    [Test]
    public void A_file_is_prepared_once_and_the_batches_are_unchanged()
    {
        using var scope = NewDisposeScope();
        var encoder = new CountingEncoder();
        using var cache = new PreparedInputCache(1 << 20);
        var first = cache.Prepare(encoder, [Image("a"), Image("bb")]).Values;
        var second = cache.Prepare(encoder, [Image("bb"), Image("ccc"), Image("a")]).Values;
        Assert.That(encoder.Prepared, Is.EqualTo(3), "a, bb, then only ccc");
        Assert.That(first.data<float>().ToArray(), Is.EqualTo(new float[] { 1, 1, 2, 2 }));
        Assert.That(second.data<float>().ToArray(), Is.EqualTo(new float[] { 2, 2, 3, 3, 1, 1 }));
        Assert.That(cache.UsedBytes, Is.EqualTo(3 * 2 * 4));
    }

    [Test]
    public void Past_the_budget_inputs_are_prepared_every_time()
    {
        using var scope = NewDisposeScope();
        var encoder = new CountingEncoder();
        using var cache = new PreparedInputCache(8); // room for one input of 2 floats
        cache.Prepare(encoder, [Image("a"), Image("bb")]);
        cache.Prepare(encoder, [Image("a"), Image("bb")]);
        Assert.That(encoder.Prepared, Is.EqualTo(3), "a is kept; bb does not fit and is prepared twice");
        Assert.That(cache.UsedBytes, Is.EqualTo(8));
    }
}
