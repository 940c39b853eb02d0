using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Coin.Abstractions.Data;
using Coin.Abstractions.Plugins;
using Coin.Abstractions.Training;

namespace Coin.Plugins.Evaluation.Coin;

internal sealed class JudgeOptions
{
    /// <summary>Base URL of an OpenAI-compatible API (…/v1); empty skips judging with a warning.</summary>
    public string Endpoint { get; set; } = "";

    public string Model { get; set; } = "gpt-4o-mini";

    /// <summary>Environment variable holding the API key (sent as a bearer token when set).</summary>
    public string ApiKeyVariable { get; set; } = "OPENAI_API_KEY";

    /// <summary>Judge answers are cached here, so a re-evaluation asks nothing twice (relative to the experiment file).</summary>
    public string CacheFile { get; set; } = "judge-cache.json";

    [System.ComponentModel.DataAnnotations.Range(1, 3600)] public int TimeoutSeconds { get; set; } = 120;
}

/// <summary>CoIN's general-knowledge judge: an LLM rates each answer against the ground truth from 0 to 10 with
/// CoIN's prompt (rule "CoIN"; "CoIN_Grounding" for boxes); the task score is the sum of ratings over 10 per
/// sample, in percent. Ratings that do not parse count 0, as in CoIN's script.</summary>
internal sealed class JudgeEvaluator(JudgeOptions options, string cachePath, Action<string> warn, HttpMessageHandler? handler = null) : IEvaluator, IDisposable
{
    public const string System = "You are a helpful and precise assistant for checking the quality of the answer.";
    private const string Rule =
        "We would like to request your feedback on the performance of an AI assistants in response to the user question displayed above.\n" +
        "Please rate the accuracy of its responses according to the ground truth answer displayed above. The assistant receives an overall " +
        "score on a scale of 0 to 10, where a higher score indicates better overall performance.\n" +
        "Please output a single line containing only a values indicating the scores for the Assistant.";
    private const string GroundingRule =
        "We would like to request your feedback on the performance of an AI assistants in response to the user question displayed above. " +
        "The user asks the question on observing an image. For your reference, the visual content in the image is represented with one " +
        "descriptive sentence describing the same image and the bounding box coordinates of each object in the scene. These coordinates are " +
        "in the form of bounding boxes, represented as (x1, y1, x2, y2) with floating numbers ranging from 0 to 1. These values correspond to " +
        "the top left x, top left y, bottom right x, and bottom right y. \nPlease rate the accuracy of its responses according to the ground " +
        "truth answer displayed above. The assistant receives an overall score on a scale of 0 to 10, where a higher score indicates better " +
        "overall performance.\nPlease output a single line containing only a values indicating the scores for the Assistant.";

    private readonly HttpClient http = new(handler ?? new HttpClientHandler()) { Timeout = TimeSpan.FromSeconds(options.TimeoutSeconds) };
    private readonly Dictionary<string, string> cache = LoadCache(cachePath);
    private bool warned;

    public string Metric => "coin-judge";

    public TaskScore Evaluate(TaskInfo task, IReadOnlyList<Prediction> predictions)
    {
        if (options.Endpoint.Length == 0)
        {
            if (!warned) warn("no endpoint is configured (options.endpoint); judge scores are skipped and reported as NaN");
            warned = true;
            return new TaskScore(Metric, double.NaN, 0);
        }
        double total = predictions.Sum(p => ParseRating(Ask(Prompt(p, task.SuggestedMetric == "grounding-iou"))));
        SaveCache();
        return new TaskScore(Metric, predictions.Count == 0 ? 0 : 100.0 * total / (10.0 * predictions.Count), predictions.Count);
    }

    /// <summary>CoIN's user message: the question without its last (instruction) line, the ground truth, the answer.
    /// Grounding keeps every line: its last line is the referring expression, the very thing the box is for.</summary>
    public static string Prompt(Prediction prediction, bool grounding)
    {
        string instruction = Placeholders.In(prediction.Sample).Aggregate(prediction.Sample.Instruction, (text, p) => text.Replace(p + "\n", ""));
        var lines = instruction.Split('\n');
        string question = string.Join('\n', grounding ? lines : lines[..^1]);
        string truth = prediction.Sample.References?.GetValueOrDefault("answer_bbox") ?? prediction.Sample.Answer;
        return $"[Context]\n[Question]\n{question}\n\n[Ground truth answer]\n{truth}\n\n[End of ground truth answer]\n\n" +
               $"[Assistant]\n{prediction.Output}\n\n[End of Assistant]\n\n[System]\n{(grounding ? GroundingRule : Rule)}\n\n";
    }

    /// <summary>CoIN's parsing: a number up to 10, or "x/10"; otherwise, without a "/", the first digit 1–9 in the
    /// text ("Score: 7" is 7, and — CoIN's quirk — "Score: 10" is 1); anything else is 0.</summary>
    public static double ParseRating(string text)
    {
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double score)) return score <= 10 ? score : 0;
        if (text.Contains('/'))
            return double.TryParse(text.Split('/')[0], NumberStyles.None, CultureInfo.InvariantCulture, out score) && score <= 10 ? score : 0;
        int digit = text.IndexOfAny(['1', '2', '3', '4', '5', '6', '7', '8', '9']);
        return digit >= 0 ? text[digit] - '0' : 0;
    }

    private string Ask(string user)
    {
        string key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(options.Model + "\n" + user)));
        if (cache.TryGetValue(key, out var cached)) return cached;
        var body = new JsonObject
        {
            ["model"] = options.Model,
            ["temperature"] = 0,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "system", ["content"] = System }, new JsonObject { ["role"] = "user", ["content"] = user }),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, options.Endpoint.TrimEnd('/') + "/chat/completions") { Content = JsonContent.Create(body) };
        if (Environment.GetEnvironmentVariable(options.ApiKeyVariable) is { Length: > 0 } apiKey)
            request.Headers.Authorization = new("Bearer", apiKey);
        try
        {
            using var response = http.Send(request);
            string text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            if (!response.IsSuccessStatusCode)
                throw new CoinOptionException("endpoint", $"{options.Endpoint} answered {(int)response.StatusCode}: {text[..Math.Min(200, text.Length)]}");
            string answer = JsonNode.Parse(text)?["choices"]?[0]?["message"]?["content"]?.GetValue<string>()
                ?? throw new CoinOptionException("endpoint", $"{options.Endpoint} returned no choices[0].message.content");
            return cache[key] = answer;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            throw new CoinOptionException("endpoint", $"cannot reach {options.Endpoint}: {e.Message}");
        }
    }

    private static Dictionary<string, string> LoadCache(string path)
    {
        if (!File.Exists(path)) return [];
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(global::Coin.Nn.Files.InputFile.ReadJsonText(path, global::Coin.Nn.Files.InputFile.Limits.TaskFile, "judge cache")) ?? [];
        }
        catch (JsonException e)
        {
            throw new CoinUserException($"{path}: judge cache is not a JSON object of strings ({e.Message}); delete it to start over");
        }
    }

    private void SaveCache()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(cachePath))!);
        string temporary = cachePath + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(cache));
        File.Move(temporary, cachePath, overwrite: true);
    }

    public void Dispose() => http.Dispose();
}

[CoinPlugin(PluginKind.Evaluator, "coin-judge", "0.2.0", "CoIN's general-knowledge judge via an OpenAI-compatible endpoint, cached on disk")]
internal sealed class JudgeEvaluatorPlugin : PluginFactory<IEvaluator, JudgeOptions>
{
    protected override IEvaluator Create(JudgeOptions options, ComponentContext context)
        => new JudgeEvaluator(options, context.ResolvePath(options.CacheFile), context.Warn);
}
