using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using TorchSharp;

namespace Coin.Abstractions.Training;

/// <summary>The points of the training loop a method can act at (contract 2.0). Every member has a default that does
/// nothing, so a plugin implements only the hooks it uses. Continual updaters and balance schedulers are both hook
/// sets; a run holds an ordered list of them (<c>continual</c> may list several, then the balance scheduler) and calls
/// each point on every hook in that order.</summary>
/// <remarks>
/// Per task: <see cref="OnTaskStart"/>, <see cref="ExtraTrainingSamples"/>, the steps, <see cref="OnTaskEnd"/>, then
/// <see cref="BeforeEvaluation"/> and the stream's evaluation.
/// Per optimiser step, for each micro-batch: <see cref="BeforeForward"/> (no graph holds the weights yet: the place to
/// run the model with other weights swapped in), the model's forward pass, <see cref="ExtraLoss"/> (terms summed into
/// the loss before backward); then backward; then once per step <see cref="AfterBackward"/> (gradients are in each
/// parameter's <c>grad</c>: read them, project them, set learning rates), clipping, the optimiser step, and
/// <see cref="AfterStep"/>.
/// Forward passes and <see cref="ExtraLoss"/> run in the step's compute precision (<see cref="Components.ComputePrecision"/>);
/// the other hooks in float32. Each step runs in its own dispose scope: tensors kept across steps (EMA copies, Fisher,
/// buffers) are created outside it or moved out, and are the hook's to dispose (it is <see cref="IDisposable"/> when
/// it holds any).
/// </remarks>
public interface ITrainingHooks
{
    /// <summary>Before the first step of a task.</summary>
    void OnTaskStart(TaskContext context) { }

    /// <summary>Samples to mix into the task's training data (replay). The samples of every hook are added.</summary>
    IReadOnlyList<Sample> ExtraTrainingSamples(TaskContext context) => [];

    /// <summary>Before the model's forward pass on a micro-batch (e.g. LwF runs the previous model here).</summary>
    void BeforeForward(StepContext context, Batch batch) { }

    /// <summary>A term added to the loss before backward (a penalty, a distillation term, CoMMIT's auxiliary loss), or
    /// null. Runs in the micro-batch's dispose scope.</summary>
    torch.Tensor? ExtraLoss(StepContext context, Batch batch, ModelOutput output) => null;

    /// <summary>After backward, before clipping and the optimiser step: the gradients of the step are in the trainable
    /// parameters' <c>grad</c> and may be changed (gradient projection as in A-GEM or O-LoRA), and
    /// <see cref="StepContext.LearningRates"/> may be set for this step (balance schedulers).</summary>
    void AfterBackward(StepContext context) { }

    /// <summary>After the optimiser step. <paramref name="lastBatch"/> is the step's last micro-batch.</summary>
    void AfterStep(StepContext context, Batch lastBatch) { }

    /// <summary>After the last step of a task, before evaluation (e.g. write EMA weights into the model).</summary>
    void OnTaskEnd(TaskContext context) { }

    /// <summary>Before each evaluation stage of a run (the zero-shot row, and after each task), with the model as it
    /// will be evaluated. The trainable weights the run keeps for the stage (what <c>coin evaluate --stage</c> re-scores
    /// and <c>coin export</c> exports, over the base model and the adapter's state) are taken after every hook's call,
    /// so changes made here to trainable weights are in them; changes to frozen weights or buffers are not kept.
    /// Re-scoring a stage from them does not call it again.</summary>
    void BeforeEvaluation(EvaluationContext context) { }
}

/// <summary>An evaluation stage about to run.</summary>
/// <param name="Stage">The stage's name (<c>zero-shot</c>, <c>after-01-ScienceQA</c>, …).</param>
/// <param name="TasksTrained">How many tasks of the stream have been trained (0 for the zero-shot row).</param>
/// <param name="Stream">Every task of the stream, in training order.</param>
/// <param name="Model">The model about to be evaluated.</param>
public sealed record EvaluationContext(string Stage, int TasksTrained, IReadOnlyList<TaskInfo> Stream, Components.IMultimodalModel Model);
