namespace Coin.Abstractions.Data;

/// <summary>A stream of instruction tasks with training and test samples (the built-in generator, CoIN files).</summary>
/// <remarks>Created first of all components. The host calls <see cref="Tasks"/> once, then loads each task's
/// samples when it needs them; a source may cache. Data errors are thrown as
/// <see cref="Plugins.CoinUserException"/> naming the file, row and field.</remarks>
public interface ITaskStreamSource
{
    /// <summary>The tasks in training order.</summary>
    IReadOnlyList<TaskInfo> Tasks { get; }

    /// <summary>The task's training samples, in a fixed order (the host shuffles with its own seeded generator).</summary>
    IReadOnlyList<Sample> LoadTrain(TaskInfo task);

    /// <summary>The task's test samples.</summary>
    IReadOnlyList<Sample> LoadTest(TaskInfo task);
}
