using Coin.Abstractions.Components;
using Coin.Abstractions.Training;
using TorchSharp.Modules;

namespace Coin.Plugins.Balance;

/// <summary>CoMMIT's two learning components: the feature side (encoder and connector: everything that turns the
/// input into LLM tokens) and the language side (the backbone with its adapter).</summary>
internal static class Sides
{
    public static readonly IReadOnlyList<string> FeatureGroups = [ComponentNames.Encoder, ComponentNames.Connector];
    public static readonly IReadOnlyList<string> LanguageGroups = [ComponentNames.Backbone];

    public static bool IsFeature(string group) => FeatureGroups.Contains(group);

    public static IReadOnlyList<Parameter> Feature(IMultimodalModel model) => Parameters(model, FeatureGroups);
    public static IReadOnlyList<Parameter> Language(IMultimodalModel model) => Parameters(model, LanguageGroups);

    private static List<Parameter> Parameters(IMultimodalModel model, IReadOnlyList<string> groups)
        => model.TrainableGroups.Where(g => groups.Contains(g.Name)).SelectMany(g => g.Parameters).ToList();

    /// <summary>Sets every group's rate to its base times the factor of its side.</summary>
    public static void Scale(ILearningRates rates, double feature, double language)
    {
        foreach (var group in rates.Groups) rates.Set(group, rates.Base(group) * (IsFeature(group) ? feature : language));
    }
}
