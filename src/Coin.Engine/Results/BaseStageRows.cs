namespace Coin.Engine.Results;

/// <summary>The task names under which the base model's stages write their step-log rows, which plots and TensorBoard
/// put on axes of their own.</summary>
public static class BaseStageRows
{
    /// <summary>The task name of the first stage's step-log rows.</summary>
    public const string TaskName = "pretrain";

    /// <summary>The task name of the second stage's step-log rows.</summary>
    public const string InstructionTaskName = "instruct";

    /// <summary>True for the step-log rows of either base-model stage.</summary>
    public static bool IsBaseStage(string task) => task is TaskName or InstructionTaskName;
}
