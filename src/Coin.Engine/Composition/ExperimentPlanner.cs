using Coin.Abstractions.Plugins;
using Coin.Engine.Configuration;
using Coin.Engine.Plugins;
using Microsoft.Extensions.Configuration;

namespace Coin.Engine.Composition;

/// <summary>Resolves each configured component to a plugin and binds its options, reporting every unknown name,
/// unknown key and invalid value at once, before any model or data is loaded.</summary>
public static class ExperimentPlanner
{
    private static readonly IConfiguration Empty = new ConfigurationBuilder().Build();

    public static CompositionPlan Plan(Experiment experiment, PluginCatalog catalog)
    {
        var config = experiment.Config;
        var errors = new List<string>();
        PlannedComponent? Resolve(PluginKind kind, ComponentConfig component, string keyPath)
        {
            try
            {
                var plugin = catalog.Resolve(kind, component.Type, keyPath + ".type");
                var options = StrictBinder.Bind(component.Options ?? Empty, plugin.Factory!.OptionsType, keyPath + ".options", errors);
                return new PlannedComponent(keyPath, plugin, options);
            }
            catch (CoinUserException e)
            {
                errors.Add(e.Message);
                return null;
            }
        }

        var data = Resolve(PluginKind.TaskStream, config.Data, "data");
        var baseData = config.Pretraining.Data ?? [];
        var pretrainingData = baseData.Select((c, i) => Resolve(PluginKind.TaskStream, c, ComponentList.KeyPath("pretraining.data", i, baseData.Count))).ToList();
        var backbone = Resolve(PluginKind.Backbone, config.Model.Backbone, "model.backbone");
        var encoders = new Dictionary<string, PlannedComponent>();
        foreach (var (modality, encoder) in config.Model.Encoders)
            if (Resolve(PluginKind.Encoder, encoder, $"model.encoders.{modality}") is { } planned) encoders[modality] = planned;
        var connector = Resolve(PluginKind.Connector, config.Model.Connector, "model.connector");
        var adapter = Resolve(PluginKind.Adapter, config.Model.Adapter, "model.adapter");
        var balance = Resolve(PluginKind.BalanceScheduler, config.Balance, "balance");
        if (config.Continual.Count == 0) errors.Add("continual: the list is empty; name at least one method (sequential for none)");
        var continual = config.Continual.Select((c, i) => Resolve(PluginKind.ContinualUpdater, c, ComponentList.KeyPath("continual", i, config.Continual.Count))).ToList();
        var evaluator = Resolve(PluginKind.Evaluator, config.Evaluation.Evaluator, "evaluation.evaluator");
        foreach (var group in config.Training.LearningRates.Keys.Where(g => !Abstractions.Components.ComponentNames.All.Contains(g)))
            errors.Add($"training.learningRates.{group}: unknown component; accepted: {string.Join(", ", Abstractions.Components.ComponentNames.All)}");

        ExperimentLoader.ThrowIfAny(experiment.Source, errors);
        return new CompositionPlan(data!, backbone!, encoders, connector!, adapter!, balance!, continual.Select(c => c!).ToList(), evaluator!)
        {
            PretrainingData = pretrainingData.Select(c => c!).ToList(),
        };
    }
}
