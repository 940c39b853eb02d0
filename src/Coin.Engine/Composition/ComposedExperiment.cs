using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Engine.Modeling;

namespace Coin.Engine.Composition;

/// <summary>The live components of a run, created from a <see cref="CompositionPlan"/> in the documented order.</summary>
public sealed class ComposedExperiment : IDisposable
{
    private ComposedExperiment(ITaskStreamSource data, MultimodalModel model, IAdapter adapter, string adapterKey, IBalanceScheduler balance,
        IReadOnlyList<IContinualUpdater> continual, IEvaluator evaluator, IReadOnlyList<(object Component, string KeyPath)> components)
    {
        this.components = components;
        Data = data;
        Model = model;
        Adapter = adapter;
        this.adapterKey = adapterKey;
        Balance = balance;
        Continual = continual;
        Evaluator = evaluator;
        // An adapter that is also a set of hooks (O-LoRA's orthogonality loss) acts first.
        Hooks = [.. adapter is ITrainingHooks adapterHooks ? [adapterHooks] : Array.Empty<ITrainingHooks>(), .. continual, balance];
        HookKeys = [.. adapter is ITrainingHooks ? [AdapterKey] : Array.Empty<string>(), .. continual.Select((_, i) => ContinualKey(i)), "balance"];
        // Checkpoint keys: "continual" for the first method (as before contract 2.0), "continual.N" for later ones.
        var stateful = continual.Select((c, i) => KeyValuePair.Create(ContinualKey(i), (object)c))
            .Append(KeyValuePair.Create("balance", (object)balance)).ToDictionary();
        if (adapter is ITrainingHooks or ICheckpointable) stateful[AdapterKey] = adapter;
        Stateful = stateful;
    }

    private readonly string adapterKey;

    private static string ContinualKey(int index) => index == 0 ? "continual" : $"continual.{index}";

    public ITaskStreamSource Data { get; }

    /// <summary>The source of the base model's stages: <c>pretraining.data</c>'s, else <see cref="Data"/>.</summary>
    public ITaskStreamSource BaseData { get; private init; } = null!;

    public MultimodalModel Model { get; }

    /// <summary>Created with the others, applied by <see cref="ApplyAdapter"/> once the base model is ready.</summary>
    public IAdapter Adapter { get; }
    public IBalanceScheduler Balance { get; }
    /// <summary>The continual methods in the order the experiment lists them.</summary>
    public IReadOnlyList<IContinualUpdater> Continual { get; }
    public IEvaluator Evaluator { get; }

    /// <summary>Every training hook in the order the host calls them at each point: the adapter when it is one, the
    /// continual methods as listed, then the balance scheduler.</summary>
    public IReadOnlyList<ITrainingHooks> Hooks { get; }

    /// <summary>The key of each of <see cref="Hooks"/> (as its checkpoint state and its task-log.csv rows name it).</summary>
    public IReadOnlyList<string> HookKeys { get; }

    /// <summary>The checkpoint key of an adapter's own state (an adapter whose modules change per task keeps them there).</summary>
    public const string AdapterKey = "adapter";

    /// <summary>The components that may keep state in a checkpoint (those that implement <see cref="ICheckpointable"/>
    /// do), by the key they keep it under: the hooks, and the adapter when it is a hook set or checkpointable.</summary>
    public IReadOnlyDictionary<string, object> Stateful { get; }

    /// <summary>Creates every component in the documented order and assembles the model on its device; the adapter is
    /// created but not yet applied (the base model's first stage trains every parameter before it).</summary>
    /// <param name="preparedCacheBytes">Memory for encoder inputs prepared once and reused (see <see cref="PreparedInputCache"/>).</param>
    public static ComposedExperiment Create(CompositionPlan plan, ComponentContext context, long preparedCacheBytes = 0)
    {
        var created = new List<(object Component, string KeyPath)>();
        T Create<T>(PlannedComponent planned, ComponentContext context) where T : class
        {
            var component = ComposedExperiment.Create<T>(planned, context);
            created.Add((component, planned.KeyPath));
            return component;
        }
        var data = Create<ITaskStreamSource>(plan.Data, context);
        if (data.Tasks.Count == 0)
            throw new CoinUserException($"{plan.Data.KeyPath}: plugin '{plan.Data.Plugin.Name}' gives no tasks; a stream needs at least one");
        TaskNameCheck.Require(plan, data.Tasks.Select(t => t.Name).ToList());
        var baseData = plan.PretrainingData.Count == 0 ? data
            : PretrainingSources.Combine(plan.PretrainingData.Select(source => (Create<ITaskStreamSource>(source, context), source)).ToList());
        var backbone = Create<IBackbone>(plan.Backbone, context);
        context = context with { Backbone = backbone };
        var encoders = new Dictionary<string, IEncoder>();
        var connectors = new Dictionary<string, IConnector>();
        foreach (var (modality, planned) in plan.Encoders)
        {
            var encoder = Create<IEncoder>(planned, context);
            if (encoder.Modality != modality)
                throw new CoinUserException($"{planned.KeyPath}: plugin '{planned.Plugin.Name}' encodes {encoder.Modality}, not {modality}");
            encoders[modality] = encoder;
            connectors[modality] = Create<IConnector>(plan.Connector, context with { Encoder = encoder });
            if (encoder is ITiledEncoder && connectors[modality] is not IPackingConnector)
                throw new CoinUserException($"{plan.Connector.KeyPath}: plugin '{plan.Connector.Plugin.Name}' cannot serve {planned.KeyPath} '{planned.Plugin.Name}', " +
                                            "which cuts each input into a varying number of tiles: that needs a connector that packs them (IPackingConnector)");
        }
        var model = new MultimodalModel(backbone, encoders, connectors, new BatchCollator(backbone, encoders, context.Device, preparedCacheBytes, connectors));
        model.MoveTo(context.Device);
        return new ComposedExperiment(data, model, Create<IAdapter>(plan.Adapter, context), plan.Adapter.KeyPath,
            Create<IBalanceScheduler>(plan.Balance, context),
            plan.Continual.Select(c => Create<IContinualUpdater>(c, context)).ToList(),
            Create<IEvaluator>(plan.Evaluator, context), created) { BaseData = baseData };
    }

    /// <summary>Each component with the configuration key it was created from.</summary>
    private readonly IReadOnlyList<(object Component, string KeyPath)> components;

    /// <summary>A <see cref="CoinOptionException"/> from one of this experiment's components, named with that
    /// component's configuration key: the first frame of its stack trace in a component's class (or a class nested in
    /// it, or failing that the only component of that plugin assembly) says whose it is. Any other exception as it is.</summary>
    public Exception Named(Exception e)
    {
        if (e is not CoinOptionException option) return e;
        var thrower = new System.Diagnostics.StackTrace(option, false).GetFrames().Select(f => f.GetMethod()?.DeclaringType).OfType<Type>().ToList();
        foreach (var frame in thrower)
        {
            for (var type = frame; type is not null; type = type.DeclaringType)
                if (components.FirstOrDefault(c => c.Component.GetType() == type) is { Component: not null } owner) return option.At(owner.KeyPath);
        }
        var assembly = thrower.FirstOrDefault()?.Assembly;
        var same = components.Where(c => c.Component.GetType().Assembly == assembly).Select(c => c.KeyPath).Distinct().ToList();
        return same.Count == 1 ? option.At(same[0]) : option;
    }

    /// <summary>Runs <paramref name="work"/>, naming a component's <see cref="CoinOptionException"/> with its key (<see cref="Named"/>).</summary>
    public T Naming<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (CoinOptionException e)
        {
            throw Named(e);
        }
    }

    /// <inheritdoc cref="Naming{T}(Func{T})"/>
    public void Naming(Action work) => Naming(() => { work(); return true; });

    /// <summary>Only the task stream and the evaluator: what scoring saved answers needs (no model is built).</summary>
    public static (ITaskStreamSource Data, IEvaluator Evaluator) CreateScoring(CompositionPlan plan, ComponentContext context)
        => (Create<ITaskStreamSource>(plan.Data, context), Create<IEvaluator>(plan.Evaluator, context));

    /// <summary>The seed torch's generator is set to right before <see cref="ApplyAdapter"/> in a run, so that the
    /// adapter's random initialisation does not depend on whether the base model was trained or loaded.</summary>
    /// <summary>Frozen linear parameters <see cref="ApplyAdapter"/> stored in the compute type.</summary>
    public long FrozenWeightsConverted { get; private set; }

    public static long AdapterSeed(int seed) => unchecked(seed * 1_000_003L + 17);

    /// <summary>Applies the adapter: from here on the model's trainable groups are the adapter's.</summary>
    /// <param name="frozenStorage">Mixed precision's compute type: the linear weights the adapter froze are then
    /// stored in it (half the memory in bfloat16); trainable ones stay float32.</param>
    public void ApplyAdapter(TorchSharp.torch.ScalarType? frozenStorage = null)
    {
        try
        {
            Model.TrainableGroups = Adapter.Apply(Model);
        }
        catch (CoinOptionException e)
        {
            throw e.At(adapterKey);
        }
        // Trainable weights are float32 master copies: one stored for a frozen base (frozenWeights) cannot train.
        if (Model.TrainableGroups.SelectMany(g => g.Parameters.Select(p => (g.Name, p))).FirstOrDefault(x => x.p.dtype != TorchSharp.torch.ScalarType.Float32) is ({ } part, { } stored))
            throw new CoinUserException($"{adapterKey}: the adapter trains a {part} parameter stored in {stored.dtype} (model.{part}.options.frozenWeights keeps weights for a frozen base); " +
                                        "train that component with LoRA or one of its kin, or set frozenWeights to auto");
        if (frozenStorage is { } type) FrozenWeightsConverted = Model.StoreFrozenLinearWeights(type);
        if (Model.TrainableGroups.Count == 0)
            throw new CoinUserException($"{adapterKey}: the adapter leaves no parameter trainable");
        if (Adapter is IDeclaresTrainableParts declared
            && !Model.TrainableGroups.All(g => declared.TrainableParts.Contains(g.Name)))
            throw new CoinUserException($"{adapterKey}: the adapter declared {string.Join(", ", declared.TrainableParts.Order())} trainable " +
                                        $"but made {string.Join(", ", Model.TrainableGroups.Select(g => g.Name).Order())} trainable (a defect of the plugin)");
    }

    /// <summary>Contract 1.x's hook names: a 2.0 plugin that still has one would have it silently never called (every
    /// 2.0 hook has a default), so it is refused with the new name.</summary>
    private static readonly Dictionary<string, string> OldHookNames = new()
    {
        ["AuxiliaryLoss"] = "ExtraLoss", ["BeforeOptimizerStep"] = "AfterBackward", ["AfterOptimizerStep"] = "AfterStep(StepContext, Batch)",
    };

    private static void RefuseOldHookNames(PlannedComponent planned, object component)
    {
        if (component is not ITrainingHooks) return;
        var methods = component.GetType().GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance);
        var stale = methods.Where(m => OldHookNames.ContainsKey(m.Name)).Select(m => $"{m.Name} (now {OldHookNames[m.Name]})")
            .Concat(methods.Where(m => m.Name == "AfterStep" && m.GetParameters().Length == 1).Select(_ => "AfterStep(StepContext) (now AfterStep(StepContext, Batch))"))
            .Distinct().ToList();
        if (stale.Count > 0)
            throw new CoinUserException($"{planned.KeyPath}: plugin '{planned.Plugin.Name}' ({planned.Plugin.Folder}) has contract 1.x hooks that contract 2.0 would never call: " +
                                        $"{string.Join(", ", stale)}; rename them (docs/guide/plugins.md, \"Migrating a 1.x plugin\")");
    }

    private static T Create<T>(PlannedComponent planned, ComponentContext context) where T : class
    {
        try
        {
            // What a component warns of is shown under its configuration key, so that a plugin names none.
            var own = context with { Warn = message => context.Warn($"{planned.KeyPath} '{planned.Plugin.Name}': {message}") };
            var component = (T)planned.Plugin.Factory!.Create(planned.Options, own);
            RefuseOldHookNames(planned, component);
            return component;
        }
        catch (CoinOptionException e)
        {
            throw e.At(planned.KeyPath);
        }
        catch (CoinUserException)
        {
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // Any exception from a plugin's factory is the plugin's: name it and its folder instead of a stack trace.
            throw new CoinUserException($"{planned.KeyPath}: plugin '{planned.Plugin.Name}' ({planned.Plugin.Folder}) could not be created: {e.GetType().Name}: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        foreach (var updater in Continual) (updater as IDisposable)?.Dispose();
        (Balance as IDisposable)?.Dispose();
        // An adapter may own tensors outside the model (a LoRA bank's prototypes and per-sample routing weights).
        (Adapter as IDisposable)?.Dispose();
        (Evaluator as IDisposable)?.Dispose();
        (Data as IDisposable)?.Dispose();
        if (!ReferenceEquals(BaseData, Data)) (BaseData as IDisposable)?.Dispose();  // disposes each source it combines
        Model.Dispose();
    }
}
