using Coin.Abstractions.Components;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;
using Coin.Host.Modeling;

namespace Coin.Host.Composition;

/// <summary>The live components of a run, created from a <see cref="CompositionPlan"/> in the documented order.</summary>
public sealed class ComposedExperiment : IDisposable
{
    private ComposedExperiment(ITaskStreamSource data, MultimodalModel model, IBalanceScheduler balance,
        IContinualUpdater continual, IEvaluator evaluator)
    {
        Data = data;
        Model = model;
        Balance = balance;
        Continual = continual;
        Evaluator = evaluator;
    }

    public ITaskStreamSource Data { get; }
    public MultimodalModel Model { get; }
    public IBalanceScheduler Balance { get; }
    public IContinualUpdater Continual { get; }
    public IEvaluator Evaluator { get; }

    /// <param name="prepareBase">Called with the full model before the adapter is applied (the base model's first
    /// stage trains or loads every parameter there).</param>
    /// <param name="preparedCacheBytes">Memory for encoder inputs prepared once and reused (see <see cref="PreparedInputCache"/>).</param>
    public static ComposedExperiment Create(CompositionPlan plan, ComponentContext context, Action<MultimodalModel, ITaskStreamSource>? prepareBase = null,
        long preparedCacheBytes = 0)
    {
        var data = Create<ITaskStreamSource>(plan.Data, context);
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
        }
        var model = new MultimodalModel(backbone, encoders, connectors, new BatchCollator(backbone, encoders, context.Device, preparedCacheBytes));
        model.MoveTo(context.Device);
        prepareBase?.Invoke(model, data);
        model.TrainableGroups = Create<IAdapter>(plan.Adapter, context).Apply(model);
        if (model.TrainableGroups.Count == 0)
            throw new CoinUserException($"{plan.Adapter.KeyPath}: adapter '{plan.Adapter.Plugin.Name}' leaves no parameter trainable");
        return new ComposedExperiment(data, model,
            Create<IBalanceScheduler>(plan.Balance, context),
            Create<IContinualUpdater>(plan.Continual, context),
            Create<IEvaluator>(plan.Evaluator, context));
    }

    private static T Create<T>(PlannedComponent planned, ComponentContext context) where T : class
    {
        try
        {
            return (T)planned.Plugin.Factory!.Create(planned.Options, context);
        }
        catch (CoinUserException)
        {
            throw;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
        {
            throw new CoinUserException($"{planned.KeyPath}: plugin '{planned.Plugin.Name}' could not be created: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        (Continual as IDisposable)?.Dispose();
        (Balance as IDisposable)?.Dispose();
        (Evaluator as IDisposable)?.Dispose();
        (Data as IDisposable)?.Dispose();
        Model.Dispose();
    }
}
