using System.Text.Json.Nodes;
using Coin.Abstractions.Plugins;
using Coin.Host.Sweeps;
using Coin.Tests.Support;

namespace Coin.Tests.Sweeps;

/// <summary>A sweep file becomes an explicit, numbered list of cells, each with its own experiment and folder.</summary>
public class SweepPlanTests
{
    private static SweepFile Write(string json, string? experiment = null)
    {
        string folder = TestPaths.NewTemporaryDirectory("sweep");
        if (experiment is not null) File.WriteAllText(Path.Combine(folder, "base.json"), experiment);
        File.WriteAllText(Path.Combine(folder, "sweep.json"), json);
        return SweepFile.Load(Path.Combine(folder, "sweep.json"));
    }

    [Test]
    public void Cells_are_the_product_of_the_axes_with_the_last_varying_fastest()
    {
        var sweep = Write("""{ "name": "grid", "axes": { "continual.type": ["sequential", "replay"], "seed": [1, 2, 3] } }""");
        var cells = SweepPlan.Cells(sweep);
        Assert.That(cells.Select(c => c.Describe()), Is.EqualTo(new[]
        {
            "continual.type=sequential, seed=1", "continual.type=sequential, seed=2", "continual.type=sequential, seed=3",
            "continual.type=replay, seed=1", "continual.type=replay, seed=2", "continual.type=replay, seed=3",
        }));
        Assert.That(cells[4].Name, Is.EqualTo("004-continual.type=replay_seed=2"));
        Assert.That(cells[4].RunName, Is.EqualTo("grid.replay"), "seeds of one setting share a run name, so compare averages them");
        Assert.That(cells[4].Directory, Is.EqualTo(Path.Combine(sweep.Folder, "runs", "sweeps", "grid", cells[4].Name)));
    }

    [Test]
    public void A_cells_experiment_is_the_base_with_the_fixed_settings_and_its_values()
    {
        var sweep = Write("""
            { "name": "orders", "experiment": "base.json", "set": { "Training.Epochs": 2 },
              "axes": { "data.options.tasks": [["color", "shape"], ["shape"]], "continual.type": ["replay"] } }
            """, """{ "training": { "epochs": 5, "batchSize": 8 }, "continual": { "type": "ewc", "options": { "lambda": 3 } }, "data": { "type": "shapes", "options": { "tasks": ["a", "b", "c"] } } }""");
        var cell = SweepPlan.Cells(sweep)[1];
        var json = SweepPlan.Experiment(sweep, cell);
        Assert.That(json["training"]!["epochs"]!.GetValue<int>(), Is.EqualTo(2), "keys match case-insensitively, as configuration keys do");
        Assert.That(json["training"]!.AsObject().Count, Is.EqualTo(2));
        Assert.That(json["data"]!["options"]!["tasks"]!.ToJsonString(), Is.EqualTo("""["shape"]"""), "a list is replaced whole");
        Assert.That(json["continual"]!.ToJsonString(), Is.EqualTo("""{"type":"replay"}"""), "another method drops the old one's options");
        Assert.That(json["name"]!.GetValue<string>(), Is.EqualTo("orders.shape.replay"));
        Assert.That(cell.Name, Is.EqualTo("001-data.options.tasks=shape_continual.type=replay"));
    }

    [Test]
    public void A_named_axis_sets_several_values_per_label()
    {
        var sweep = Write("""{ "name": "m", "axes": { "method": { "replay": { "continual.type": "replay" }, "moelora": { "model.adapter.type": "moelora", "model.adapter.options.experts": 2 } }, "seed": [7] } }""");
        var cell = SweepPlan.Cells(sweep)[1];
        Assert.That(cell.Describe(), Is.EqualTo("method=moelora, seed=7"));
        Assert.That(cell.RunName, Is.EqualTo("m.moelora"));
        var json = SweepPlan.Experiment(sweep, cell);
        Assert.That(json["model"]!["adapter"]!.ToJsonString(), Is.EqualTo("""{"type":"moelora","options":{"experts":2}}"""));
        Assert.That(json["seed"]!.GetValue<int>(), Is.EqualTo(7));
    }

    [TestCase("""{ "name": "x", "axes": {} }""", "axes: at least one axis is needed")]
    [TestCase("""{ "name": "x", "axes": { "method": { "a": 1 } } }""", "axes.method.a: expected an object of settings")]
    [TestCase("""{ "name": "x", "axes": { "seed": [] } }""", "axes.seed: expected a non-empty list of values")]
    [TestCase("""{ "name": "x", "axes": { "seed": [1] }, "typo": 1 }""", "typo")]
    [TestCase("""{ "name": "x", "experiment": "missing.json", "axes": { "seed": [1] } }""", "missing.json' not found")]
    [TestCase("""{ "name": "a b", "axes": { "seed": [1] } }""", "name: 'a b' must use")]
    public void A_bad_sweep_file_is_named(string json, string expected)
    {
        var error = Assert.Throws<CoinUserException>(() => Write(json))!;
        Assert.That(error.Message, Does.Contain("sweep.json").And.Contain(expected));
    }

    [Test]
    public void A_cell_that_does_not_exist_is_refused_with_the_range()
    {
        var sweep = Write("""{ "name": "x", "axes": { "seed": [1, 2] } }""");
        Assert.That(Assert.Throws<CoinUserException>(() => SweepPlan.Cell(sweep, 2))!.Message, Does.Contain("cells 0 to 1"));
    }

    [Test]
    public void A_method_axis_can_name_one_recipe_file_per_method()
    {
        string folder = TestPaths.NewTemporaryDirectory("sweep");
        Directory.CreateDirectory(Path.Combine(folder, "paper"));
        File.WriteAllText(Path.Combine(folder, "paper", "lora.json"), """{ "training": { "epochs": 1 }, "continual": { "type": "sequential" } }""");
        File.WriteAllText(Path.Combine(folder, "paper", "llaca.json"),
            """{ "extends": "lora.json", "continual": { "type": "llaca", "options": { "tasks": ["GQA"] } } }""");
        File.WriteAllText(Path.Combine(folder, "sweep.json"), """
            { "name": "paper", "set": { "training.batchSize": 4 },
              "axes": { "method": { "lora": { "experiment": "paper/lora.json" }, "llaca": { "experiment": "paper/llaca.json" } }, "seed": [1, 2] } }
            """);
        var sweep = SweepFile.Load(Path.Combine(folder, "sweep.json"));
        var cells = SweepPlan.Cells(sweep);
        Assert.That(cells.Select(c => c.RunName).Distinct(), Is.EqualTo(new[] { "paper.lora", "paper.llaca" }));
        Assert.That(SweepPlan.ExperimentFileOf(sweep, cells[3]), Is.EqualTo(Path.Combine(folder, "paper", "llaca.json")));
        var llaca = SweepPlan.Experiment(sweep, cells[3]);
        Assert.That(llaca["continual"]!["type"]!.GetValue<string>(), Is.EqualTo("llaca"));
        Assert.That(llaca["continual"]!["options"]!["tasks"]![0]!.GetValue<string>(), Is.EqualTo("GQA"));
        Assert.That(llaca["training"]!["epochs"]!.GetValue<int>(), Is.EqualTo(1), "from the file it extends");
        Assert.That(llaca["training"]!["batchSize"]!.GetValue<int>(), Is.EqualTo(4), "the sweep's fixed settings apply on top");
        Assert.That(llaca["seed"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(llaca.ContainsKey("experiment"), Is.False, "the file is the base, not a configuration key");
        Assert.That(SweepPlan.Experiment(sweep, cells[0])["continual"]!["type"]!.GetValue<string>(), Is.EqualTo("sequential"));
    }
}
