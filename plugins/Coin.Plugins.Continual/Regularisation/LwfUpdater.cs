using System.ComponentModel.DataAnnotations;
using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Nn.Training;
using static TorchSharp.torch;

namespace Coin.Plugins.Continual.Regularisation;

internal sealed class LwfOptions
{
    [Range(0.01, 100.0)] public double Temperature { get; set; } = 2.0;
    [Range(0.0, 1e6)] public double Lambda { get; set; } = 1.0;
}

/// <summary>Learning without forgetting: the model as it was at the end of the previous task answers each new batch
/// (its trainable weights are swapped in before the forward pass and swapped back), and a distillation term
/// λ·T²·KL(p_old^T ‖ p_new^T) over the answer positions keeps the new model close to those answers. Only the
/// trainable parameters are stored: frozen ones are the same in both models.</summary>
[CoinPlugin(PluginKind.ContinualUpdater, "lwf", "0.1.0", "Learning without forgetting: distillation from the previous task's model on new inputs",
    Capabilities = [PluginCapabilities.ExtraMemoryPrefix + "1x", PluginCapabilities.FixedTrainableSet])]
internal sealed class LwfUpdater(LwfOptions options) : IContinualUpdater, ICheckpointable, IDisposable
{
    private ParameterSnapshot? previous;
    private Tensor? teacher;

    public void BeforeForward(StepContext context, Batch batch)
    {
        teacher = previous?.WithWeights(() => context.Model.Forward(batch).Logits.detach());
    }

    public Tensor? ExtraLoss(StepContext context, Batch batch, ModelOutput output)
    {
        if (teacher is null) return null;
        var kl = AnswerDistribution.Kl(AnswerDistribution.LogProbs(teacher, output.Labels, options.Temperature), AnswerDistribution.LogProbs(output, options.Temperature));
        return kl * (options.Lambda * options.Temperature * options.Temperature);
    }

    public void OnTaskEnd(TaskContext context)
    {
        if (previous is null) previous = new ParameterSnapshot(context.Model.TrainableGroups.SelectMany(g => g.Parameters));
        else previous.Reset();
    }

    public void SaveState(ComponentState state) => previous?.SaveTo(state, "previous");

    public void LoadState(ComponentState state, TaskContext context)
    {
        if (!ParameterSnapshot.IsIn(state, "previous")) return;
        previous ??= new ParameterSnapshot(context.Model.TrainableGroups.SelectMany(g => g.Parameters));
        previous.LoadFrom(state, "previous");
    }

    public void Dispose() => previous?.Dispose();
}
