using System.Text.Json.Nodes;
using Coin.Abstractions.Data;
using Coin.Abstractions.Training;
using Coin.Nn.Safetensors;

namespace Coin.Engine.Checkpoints;

/// <summary>An <see cref="ICheckpointable"/> component's state on disk: its tensors as <c>{key}.safetensors</c> in a
/// folder, its values and sample references (task name and id) as JSON. Run checkpoints keep every stateful component
/// this way, and the stages a run keeps keep a per-task adapter's modules (<c>coin evaluate</c>).</summary>
public static class ComponentStateFiles
{
    /// <summary>Writes the tensors file (atomically) and returns the JSON part, for the caller to store last.</summary>
    public static JsonObject Save(string folder, string key, ICheckpointable component)
    {
        var state = new ComponentState();
        component.SaveState(state);
        if (state.Tensors.Count > 0) SafetensorsWriter.Save(Path.Combine(folder, $"{key}.safetensors"), state.Tensors);
        return new JsonObject
        {
            ["values"] = state.Values.DeepClone(),
            ["samples"] = new JsonObject(state.Samples.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)new JsonArray(
                kv.Value.Select(s => (JsonNode)new JsonObject { ["task"] = s.Task, ["id"] = s.Id }).ToArray())))),
        };
    }

    /// <summary>Gives the component what <see cref="Save"/> kept.</summary>
    /// <param name="findSample">Looks a saved sample up again by task name and id.</param>
    public static void Load(string folder, string key, JsonObject saved, ICheckpointable component, TaskContext context, Func<string, string, Sample> findSample)
    {
        var state = new ComponentState();
        foreach (var (name, value) in saved["values"]!.AsObject()) state.Values[name] = value?.DeepClone();
        foreach (var (name, list) in saved["samples"]!.AsObject())
            state.Samples[name] = list!.AsArray().Select(s => findSample(s!["task"]!.GetValue<string>(), s["id"]!.GetValue<string>())).ToList();
        string tensors = Path.Combine(folder, $"{key}.safetensors");
        if (File.Exists(tensors))
        {
            using var file = SafetensorsFile.Open(tensors);
            foreach (var name in file.Tensors.Keys) state.Tensors[name] = file.Load(name).DetachFromDisposeScope();
        }
        try
        {
            // Outside any dispose scope: a component may build modules here (an adapter rebuilding its tasks' LoRAs),
            // and a scope would dispose their new parameters with it.
            component.LoadState(state, context);
        }
        finally
        {
            foreach (var tensor in state.Tensors.Values) tensor.Dispose();
        }
    }
}
