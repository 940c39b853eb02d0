using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Coin.Engine.Composition;
using Coin.Engine.Configuration;

namespace Coin.Engine.Results;

/// <summary>The experiment as it ran: every value after defaults, environment and command line, with each
/// component's options as its plugin bound them (defaults included).</summary>
public static class ResolvedConfig
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DictionaryKeyPolicy = null,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static JsonNode ToJson(ExperimentConfig config, CompositionPlan plan)
    {
        var root = JsonSerializer.SerializeToNode(config, Json)!.AsObject();
        var model = root["model"]!.AsObject();
        model["backbone"] = Component(plan.Backbone);
        model["encoders"] = new JsonObject(plan.Encoders.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)Component(e.Value))));
        model["connector"] = Component(plan.Connector);
        model["adapter"] = Component(plan.Adapter);
        root["balance"] = Component(plan.Balance);
        root["continual"] = ComponentOrList(plan.Continual);
        var data = Component(plan.Data);
        data["workers"] = config.Data.Workers;
        data["prefetchSteps"] = config.Data.PrefetchSteps;
        root["data"] = data;
        if (plan.PretrainingData.Count > 0) root["pretraining"]!.AsObject()["data"] = ComponentOrList(plan.PretrainingData);
        root["evaluation"]!.AsObject()["evaluator"] = Component(plan.Evaluator);
        return root;
    }

    /// <summary>A copy without null values: configuration files cannot say "unset" (a JSON null binds as an empty
    /// string), so a resolved configuration read back as an experiment leaves those keys out.</summary>
    public static JsonNode WithoutNulls(JsonNode node) => node switch
    {
        JsonObject o => new JsonObject(o.Where(kv => kv.Value is not null).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)WithoutNulls(kv.Value!)))),
        JsonArray a => new JsonArray(a.Where(v => v is not null).Select(v => (JsonNode?)WithoutNulls(v!)).ToArray()),
        _ => node.DeepClone(),
    };

    /// <summary>A list of components as it was given: one as the object it always was, several as a list.</summary>
    private static JsonNode ComponentOrList(IReadOnlyList<PlannedComponent> planned)
        => planned.Count == 1 ? Component(planned[0]) : new JsonArray(planned.Select(c => (JsonNode)Component(c)).ToArray());

    private static JsonObject Component(PlannedComponent planned) => new()
    {
        ["type"] = planned.Plugin.Name,
        ["options"] = JsonSerializer.SerializeToNode(planned.Options, planned.Options.GetType(), Json),
    };
}
