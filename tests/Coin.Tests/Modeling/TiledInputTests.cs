using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Engine.Modeling;
using Coin.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace Coin.Tests.Modeling;

/// <summary>Inputs whose token count depends on the input (contract 2.8, any-resolution images): a tiled encoder's
/// inputs are prepared alone, cached and prefetched with their layouts, encoded together, and each input's tiles are
/// packed by the connector into a sequence of its own length, spliced where its placeholder stands.</summary>
public class TiledInputTests
{
    /// <summary>An input named "HxW" is cut into a grid of H/4 rows and W/4 columns; each tile is the pair (input
    /// height, tile index), so that the features say where they came from.</summary>
    private sealed class GridEncoder : ITiledEncoder
    {
        private readonly nn.Module module = nn.Identity();
        public int Prepared;
        public string Modality => "image";
        public nn.Module Module => module;
        public int OutputDim => 2;
        public int TokensPerInput => 1;
        public TileLayout LargestLayout => new(16, 16, 4, 4);

        public TiledInput PrepareTiles(ModalityInput input, int inputsInSample)
        {
            Interlocked.Increment(ref Prepared);
            var size = input.Path!.Split('x').Select(int.Parse).ToArray();
            var layout = new TileLayout(size[0], size[1], size[0] / 4, size[1] / 4);
            var tiles = stack(Enumerable.Range(0, layout.Tiles).Select(t => tensor(new float[] { size[0], t })).ToArray());
            return new TiledInput(tiles, layout);
        }

        public Tensor Prepare(IReadOnlyList<ModalityInput> inputs) => throw new AssertionException("a tiled encoder's Prepare is not called");
        public Tensor Encode(Tensor prepared) => prepared.unsqueeze(1);   // [tiles, 1 position, 2]
        public void Dispose() => module.Dispose();
    }

    /// <summary>Projects each tile, then packs: the whole input's feature, the grid's row by row, and a learned newline
    /// after each row, as LLaVA-NeXT does.</summary>
    private sealed class RowPackingConnector : nn.Module, IPackingConnector
    {
        private readonly TorchSharp.Modules.Linear projection;
        private readonly TorchSharp.Modules.Parameter newline;

        public RowPackingConnector(int hidden) : base(nameof(RowPackingConnector))
        {
            projection = nn.Linear(2, hidden);
            newline = new TorchSharp.Modules.Parameter(randn(hidden));
            RegisterComponents();
        }

        public nn.Module Module => this;
        public Tensor Project(Tensor features) => throw new AssertionException("a packing connector's Project is not called for tiles");

        public Tensor ProjectAndPack(Tensor encodedTiles, TileLayout layout)
        {
            var projected = projection.call(encodedTiles.squeeze(1));
            var rows = new List<Tensor> { projected.narrow(0, 0, 1) };
            for (int r = 0; r < layout.Rows; r++)
            {
                rows.Add(projected.narrow(0, 1 + r * layout.Columns, layout.Columns));
                rows.Add(newline.unsqueeze(0));
            }
            return cat(rows, 0);
        }

        public int TokensFor(TileLayout layout, int positionsPerTile) => positionsPerTile + layout.Rows * (layout.Columns * positionsPerTile + 1);
    }

    private static Sample Sample(string id, params string[] images)
        => new(id, "t", images.Select(i => new ModalityInput("image", i)).ToList(),
            string.Concat(images.Select(_ => Placeholders.Of("image") + " ")) + "what is it?", "a shape");

    [Test]
    public void Each_input_takes_as_many_positions_as_its_tiles_pack_into_and_gradients_reach_the_connector()
    {
        using var scope = NewDisposeScope();
        var (_, run) = InProcessExperiment.Compose(new Dictionary<string, string?>());
        using var disposeRun = run;
        var backbone = run.Model.Backbone;
        using var encoder = new GridEncoder();
        using var connector = new RowPackingConnector(backbone.HiddenSize);
        var encoders = new Dictionary<string, IEncoder> { ["image"] = encoder };
        var connectors = new Dictionary<string, IConnector> { ["image"] = connector };
        using var collator = new BatchCollator(backbone, encoders, CPU, preparedCacheBytes: 0, connectors);
        // Not disposed: it would dispose the run's backbone, which the run disposes.
        var model = new MultimodalModel(backbone, encoders, connectors, collator);

        // "4x8": 1 row of 2 tiles, 1 + 1·(2 + 1) = 4 tokens; "8x4": 2 rows of 1, 1 + 2·(1 + 1) = 5; "4x4": 1 + 1·2 = 3.
        var samples = new[] { Sample("a", "4x8"), Sample("b", "8x4", "4x4") };
        var batch = model.Collate(samples);
        Assert.That(batch.ModalityInputs["image"].shape, Is.EqualTo(new long[] { 3 + 3 + 2, 2 }), "every input's tiles, concatenated");
        Assert.That(batch.TileLayouts["image"].Select(l => (l.Rows, l.Columns)), Is.EqualTo(new[] { (1, 2), (2, 1), (1, 1) }));

        var (embeddings, mask, labels) = model.Splice(batch, padLeft: false);
        var ids = batch.InputIds;
        long[] textTokens = [batch.AttentionMask[0].sum().item<long>(), batch.AttentionMask[1].sum().item<long>()];
        long[] expected = [textTokens[0] - 1 + 4, textTokens[1] - 2 + 5 + 3];
        Assert.That(mask.sum(1).data<long>().ToArray(), Is.EqualTo(expected), "each row: its text, and each image's packed tokens");
        Assert.That(collator.SequenceLength(samples[0], includeAnswer: true), Is.EqualTo(textTokens[0] - 1 + 1 + 4 * 5),
            "a plan counts an input as the largest layout, 4 rows of 4 tiles: 1 + 4·5 = 21 tokens");

        // The first image's tokens are its packed features, where its placeholder stood; their labels are ignored.
        int placeholder = Enumerable.Range(0, (int)ids.shape[1]).First(t => collator.ModalityOf(ids[0, t].item<long>()) is not null);
        using (no_grad())
        {
            var packed = connector.ProjectAndPack(encoder.Encode(encoder.PrepareTiles(new ModalityInput("image", "4x8"), 1).Tiles), new TileLayout(4, 8, 1, 2));
            Assert.That(embeddings[0].narrow(0, placeholder, 4).allclose(packed), Is.True);
            Assert.That(labels[0].narrow(0, placeholder, 4).data<long>().ToArray(), Is.All.EqualTo(Batch.IgnoreIndex));
            // The second row's two images follow each other in order: 5 tokens of the 8x4, then 3 of the 4x4.
            int second = Enumerable.Range(0, (int)ids.shape[1]).First(t => collator.ModalityOf(ids[1, t].item<long>()) is not null);
            var tall = connector.ProjectAndPack(encoder.Encode(encoder.PrepareTiles(new ModalityInput("image", "8x4"), 2).Tiles), new TileLayout(8, 4, 2, 1));
            Assert.That(embeddings[1].narrow(0, second, 5).allclose(tall), Is.True);
        }

        var loss = model.Forward(batch).Loss;
        loss.backward();
        Assert.That(connector.parameters().All(p => p.grad is not null && p.grad.abs().sum().item<float>() > 0), Is.True,
            "the projection and the newline both learn through the packed positions");
    }

    [Test]
    public void The_lora_bank_routes_a_tiled_image_on_its_whole_image_tile()
    {
        using var scope = NewDisposeScope();
        var (_, run) = InProcessExperiment.Compose(new Dictionary<string, string?>());
        using var disposeRun = run;
        using var encoder = new GridEncoder();
        using var connector = new RowPackingConnector(run.Model.Backbone.HiddenSize);
        var encoders = new Dictionary<string, IEncoder> { ["image"] = encoder };
        using var collator = new BatchCollator(run.Model.Backbone, encoders, CPU, 0, new Dictionary<string, IConnector> { ["image"] = connector });
        var model = new MultimodalModel(run.Model.Backbone, encoders, new Dictionary<string, IConnector> { ["image"] = connector }, collator);
        // Tile 0 of "8x4" is (8, 0), of "4x12" (4, 0): the features are those pairs, normalised, whatever the grids.
        var features = Coin.Plugins.Adapters.Bank.LoraBankAdapter.InputFeatures(model, [Sample("a", "8x4"), Sample("b", "4x12")]);
        Assert.That(features.data<float>().ToArray(), Is.EqualTo(new float[] { 1, 0, 1, 0 }).Within(1e-6f));
    }

    [Test]
    public void Tiled_inputs_are_prepared_once_kept_with_their_layouts_and_taken_from_workers()
    {
        using var scope = NewDisposeScope();
        using var encoder = new GridEncoder();
        using var cache = new PreparedInputCache(1 << 20);
        var first = cache.Prepare(encoder, [new("image", "4x8"), new("image", "8x4")]);
        var again = cache.Prepare(encoder, [new("image", "8x4"), new("image", "4x4"), new("image", "4x8")]);
        Assert.That(encoder.Prepared, Is.EqualTo(3), "4x8, 8x4, then only 4x4");
        Assert.That(first.Values.select(1, 0).data<float>().ToArray(), Is.EqualTo(new float[] { 4, 4, 4, 8, 8, 8 }));
        Assert.That(again.Values.select(1, 0).data<float>().ToArray(), Is.EqualTo(new float[] { 8, 8, 8, 4, 4, 4, 4, 4 }));
        Assert.That(again.Layouts!.Select(l => l.Tiles), Is.EqualTo(new[] { 3, 2, 3 }));

        var samples = new[] { Sample("a", "12x4"), Sample("b", "4x12") };
        using var uncached = new PreparedInputCache(0);
        using var prefetcher = new InputPrefetcher(new Dictionary<string, IEncoder> { ["image"] = encoder }, 1, 1, 1, _ => samples, uncached.Contains);
        uncached.Prefetcher = prefetcher;
        prefetcher.Advance(0);
        Assert.That(SpinWait.SpinUntil(() => Volatile.Read(ref encoder.Prepared) == 5, TimeSpan.FromSeconds(30)), Is.True);
        var taken = uncached.Prepare(encoder, samples.SelectMany(s => s.Inputs).ToList());
        Assert.That(prefetcher.Taken, Is.EqualTo(2));
        Assert.That(taken.Layouts!.Select(l => (l.Rows, l.Columns)), Is.EqualTo(new[] { (3, 1), (1, 3) }));
        Assert.That(taken.Values.shape, Is.EqualTo(new long[] { 8, 2 }));
    }
}
