using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Coin.Abstractions.Data;
using Coin.Abstractions.Training;
using Coin.Plugins.Evaluation.Coin;
using Coin.Tests.Support;

namespace Coin.Tests.Evaluation;

/// <summary>The judge sends CoIN's prompt to an OpenAI-compatible endpoint, parses ratings as CoIN does, caches on
/// disk, and is skipped with a warning when no endpoint is configured.</summary>
public class JudgeEvaluatorTests
{
    private sealed class FakeEndpoint(Queue<string> ratings) : HttpMessageHandler
    {
        public List<(Uri Url, JsonNode Body)> Requests { get; } = [];

        protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add((request.RequestUri!, JsonNode.Parse(request.Content!.ReadAsStringAsync(cancellationToken).Result)!));
            string content = new JsonObject { ["choices"] = new JsonArray(new JsonObject { ["message"] = new JsonObject { ["content"] = ratings.Dequeue() } }) }.ToJsonString();
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(content, Encoding.UTF8, "application/json") };
        }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => System.Threading.Tasks.Task.FromResult(Send(request, cancellationToken));
    }

    private static readonly TaskInfo GqaTask = new("GQA", 0, ["image"], "exact-match");

    private static Prediction Predict(string id, string output)
        => new(new Sample(id, "GQA", [new ModalityInput("image", "/images/1.jpg")], "<image>\nWhat color is the circle?\nAnswer the question using a single word or phrase.", "red"), output);

    [Test]
    public void RatingsAreSummedOverTenPerSampleAndCached()
    {
        string cache = Path.Combine(TestPaths.NewTemporaryDirectory("judge"), "cache.json");
        var endpoint = new FakeEndpoint(new Queue<string>(["8", "6/10", "great answer"]));
        var options = new JudgeOptions { Endpoint = "http://judge.local/v1", Model = "judge-model" };
        var predictions = new[] { Predict("1", "red"), Predict("2", "reddish"), Predict("3", "blue") };

        using (var judge = new JudgeEvaluator(options, cache, _ => { }, endpoint))
        {
            var score = judge.Evaluate(GqaTask, predictions);
            Assert.That(score.Accuracy, Is.EqualTo(100.0 * (8 + 6 + 0) / 30).Within(1e-9), "an unparsable rating counts 0, as in CoIN");
        }
        Assert.That(endpoint.Requests, Has.Count.EqualTo(3));
        var (url, body) = endpoint.Requests[0];
        Assert.That(url.ToString(), Is.EqualTo("http://judge.local/v1/chat/completions"));
        Assert.That(body["model"]!.GetValue<string>(), Is.EqualTo("judge-model"));
        Assert.That(body["messages"]![0]!["content"]!.GetValue<string>(), Is.EqualTo(JudgeEvaluator.System));
        string user = body["messages"]![1]!["content"]!.GetValue<string>();
        Assert.That(user, Does.StartWith("[Context]\n[Question]\nWhat color is the circle?\n\n[Ground truth answer]\nred\n\n"));
        Assert.That(user, Does.Contain("[Assistant]\nred\n\n[End of Assistant]").And.Contain("on a scale of 0 to 10"));

        // A second evaluation of the same answers asks nothing: the cache on disk answers.
        var silent = new FakeEndpoint(new Queue<string>());
        using var again = new JudgeEvaluator(options, cache, _ => { }, silent);
        Assert.That(again.Evaluate(GqaTask, predictions).Accuracy, Is.EqualTo(100.0 * 14 / 30).Within(1e-9));
        Assert.That(silent.Requests, Is.Empty);
    }

    [Test]
    public void The_grounding_prompt_keeps_the_referring_expression_on_the_questions_last_line()
    {
        var sample = new Sample("g1", "Grounding", [new ModalityInput("image", "/images/1.jpg")], "<image>\nPlease provide the bounding box coordinate of the region this sentence describes: the red circle on the left",
            "[0.1, 0.2, 0.3, 0.4]");
        string grounding = JudgeEvaluator.Prompt(new Prediction(sample, "[0.1, 0.2, 0.3, 0.5]"), grounding: true);
        Assert.That(grounding, Does.StartWith("[Context]\n[Question]\nPlease provide the bounding box coordinate of the region this sentence describes: the red circle on the left\n\n"));
        Assert.That(grounding, Does.Contain("bounding boxes, represented as (x1, y1, x2, y2)"), "CoIN_Grounding's rule");
        // Other tasks drop the last line, CoIN's answer-format instruction, as CoIN's script does.
        Assert.That(JudgeEvaluator.Prompt(Predict("1", "red"), grounding: false), Does.Not.Contain("single word or phrase"));
    }

    [Test]
    public void WithoutAnEndpointJudgingIsSkippedWithOneWarning()
    {
        var warnings = new List<string>();
        using var judge = new JudgeEvaluator(new JudgeOptions(), Path.Combine(TestPaths.NewTemporaryDirectory("judge"), "c.json"), warnings.Add);
        var first = judge.Evaluate(GqaTask, [Predict("1", "red")]);
        judge.Evaluate(GqaTask, [Predict("1", "red")]);
        Assert.That(double.IsNaN(first.Accuracy) && first.Count == 0);
        Assert.That(warnings.Single(), Does.Contain("no endpoint is configured"));
    }

    [TestCase("7", 7)]
    [TestCase(" 9.5 ", 9.5)]
    [TestCase("8/10", 8)]
    [TestCase("11", 0)]
    [TestCase("Score: 7", 7)]
    [TestCase("Score: 10", 1)]
    [TestCase("Rating: 0", 0)]
    [TestCase("no idea", 0)]
    public void RatingsParseAsCoinParsesThem(string text, double expected)
        => Assert.That(JudgeEvaluator.ParseRating(text), Is.EqualTo(expected));
}
