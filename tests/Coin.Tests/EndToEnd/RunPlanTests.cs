using Coin.Tests.Support;

namespace Coin.Tests.EndToEnd;

/// <summary><c>coin run --plan</c>: components, stages, parameters, memory and the capability verdict, with nothing
/// trained or written, and a non-zero exit when the combination is refused.</summary>
[Parallelizable(ParallelScope.All)]
public class RunPlanTests
{
    [Test]
    public void A_plan_describes_the_run_and_writes_no_run_folder()
    {
        string directory = TestPaths.NewTemporaryDirectory("plan");
        var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory), "--plan", "--set", "model.adapter.type=lora", "--set", "training.precision=bfloat16");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        string version = Coin.Engine.Plugins.PluginCatalog.Load([TestPaths.HostPlugins]).Plugins.Single(p => p.Name == "llama").Version;
        Assert.That(result.Output, Does.Match($@"model\.backbone\s+│\s+llama\s+│\s+{System.Text.RegularExpressions.Regex.Escape(version)}\s+│"));
        Assert.That(result.Output, Does.Match(@"task 1: color\s+│\s+48\s+│\s+3\s+│"), "48 samples, 3 steps of 16");
        Assert.That(result.Output, Does.Match(@"backbone\s+│\s+[0-9,]+\s+│\s+[1-9][0-9,]*\s+│"), "trainable LoRA parameters in the backbone");
        Assert.That(result.Output, Does.Contain("memory: weights").And.Contain("(bfloat16 compute)"));
        Assert.That(result.Output, Does.Match(@"activations of a training step \(batch 16 × [0-9]+ positions\): [0-9]+ MiB with activation checkpointing, [0-9]+ MiB without"));
        Assert.That(result.Output, Does.Contain("peak estimate:").And.Contain("fits the"));
        Assert.That(result.Output, Does.Contain("capability check: ok"));
        Assert.That(Directory.Exists(Path.Combine(directory, "runs")), Is.False, "a plan writes no run folder");
    }

    [Test]
    public void A_seven_billion_parameter_plan_is_sized_without_allocating_it()
    {
        string directory = TestPaths.NewTemporaryDirectory("plan-7b");
        var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory), "--plan",
            "--set", "model.backbone.options.preset=llama-7b", "--set", "model.adapter.type=lora", "--set", "training.precision=bfloat16");
        // On this 24 GiB machine either the backbone's own memory check refuses it, or the plan sizes it: in both
        // cases in seconds, because nothing is allocated.
        Assert.That(result.ExitCode, Is.AnyOf(0, 2), result.ToString());
        if (result.ExitCode == 0) Assert.That(result.Output, Does.Match(@"backbone\s+│\s+6,[0-9]{3},[0-9]{3},[0-9]{3}"), "about 6.7 billion parameters");
        else Assert.That(result.Output + result.Error, Does.Contain("refused"));
    }

    [Test]
    public void An_option_naming_a_task_the_stream_lacks_is_refused_before_anything_is_built()
    {
        // LLaCA's tasks with CoIN's names on another stream used to switch LLaCA off without a word.
        string directory = TestPaths.NewTemporaryDirectory("plan-task-names");
        var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory), "--plan",
            "--set", "continual.type=llaca", "--set", "continual.options.tasks.0=color", "--set", "continual.options.tasks.1=ScienceQA");
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Output + result.Error, Does.Contain("continual.options.tasks: 'ScienceQA' is not a task of the stream; its tasks: color, "));
        Assert.That(result.Output + result.Error, Does.Not.Contain("'color' is not"));
    }

    [Test]
    public void A_refused_combination_exits_non_zero_with_the_reason()
    {
        string directory = TestPaths.NewTemporaryDirectory("plan-refused");
        var result = CoinProcess.Run(directory, "run", CoinProcess.WriteQuickExperiment(directory), "--plan",
            "--set", "model.adapter.type=frozen", "--set", "balance.type=commit");
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Output, Does.Contain("capability check: refused").And.Contain("needs the encoder to be trainable"));
    }

    [Test]
    public void Switching_a_components_type_on_the_command_line_leaves_out_the_files_options_for_the_old_one()
    {
        string directory = TestPaths.NewTemporaryDirectory("plan-switch");
        string file = CoinProcess.WriteQuickExperiment(directory, e => e["continual"] = System.Text.Json.Nodes.JsonNode.Parse(
            """{ "type": "replay", "options": { "bufferPerTask": 8 } }"""));
        var switched = CoinProcess.Run(directory, "run", file, "--plan", "--set", "continual.type=ewc");
        Assert.That(switched.ExitCode, Is.EqualTo(0), switched.ToString());
        Assert.That(switched.Error, Does.Contain("note: continual.options from quick.json left out"));
        Assert.That(switched.Output, Does.Contain("ewc"));

        // The same type keeps its options, and options meant for the new type still bind.
        var same = CoinProcess.Run(directory, "run", file, "--plan", "--set", "continual.type=replay", "--set", "continual.options.bufferPerTask=0");
        Assert.That(same.ExitCode, Is.EqualTo(2), "bufferPerTask=0 is out of range, so replay's options were bound: " + same);
        Assert.That(same.Error, Does.Not.Contain("left out"));
    }
}
