using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;

namespace Coin.Engine.Composition;

/// <summary>The sources of <c>pretraining.data</c> as the one source the base model's stages read.</summary>
internal static class PretrainingSources
{
    /// <summary>One source as it is; several as their samples in list order. A source that offers no first-stage data
    /// is refused: the stage would silently not run.</summary>
    public static ITaskStreamSource Combine(IReadOnlyList<(ITaskStreamSource Source, PlannedComponent Planned)> sources)
    {
        foreach (var (source, planned) in sources)
            if (source is not IPretrainingSource)
                throw new CoinUserException($"{planned.KeyPath}: plugin '{planned.Plugin.Name}' offers no data for the base model's stages (it does not implement IPretrainingSource)");
        return sources.Count == 1 ? sources[0].Source : new Combined(sources.Select(s => s.Source).ToList());
    }

    /// <summary>No tasks of its own: only the stages read it.</summary>
    private sealed class Combined(IReadOnlyList<ITaskStreamSource> sources) : ITaskStreamSource, IPretrainingSource, IDisposable
    {
        public IReadOnlyList<TaskInfo> Tasks => [];
        public IReadOnlyList<Sample> LoadTrain(TaskInfo task) => throw new InvalidOperationException("the base model's sources have no tasks");
        public IReadOnlyList<Sample> LoadTest(TaskInfo task) => throw new InvalidOperationException("the base model's sources have no tasks");
        public IReadOnlyList<Sample> LoadPretraining() => sources.SelectMany(s => ((IPretrainingSource)s).LoadPretraining()).ToList();
        public IReadOnlyList<Sample> LoadInstructionTuning() => sources.SelectMany(s => ((IPretrainingSource)s).LoadInstructionTuning()).ToList();

        public void Dispose()
        {
            foreach (var source in sources) (source as IDisposable)?.Dispose();
        }
    }
}
