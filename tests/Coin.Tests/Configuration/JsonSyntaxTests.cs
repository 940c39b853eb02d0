using Coin.Abstractions.Plugins;
using Coin.Engine.Configuration;
using Coin.Tests.Support;

namespace Coin.Tests.Configuration;

public class JsonSyntaxTests
{
    [Test]
    public void AMalformedFileIsReportedWithLineAndColumn()
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("json"), "bad.json");
        File.WriteAllText(path, "{\n  \"name\": \"x\",\n  \"seed\": 1\n  \"device\": \"cpu\"\n}\n");
        var error = Assert.Throws<CoinUserException>(() => JsonSyntax.Check(path));
        Assert.That(error!.Message, Does.StartWith($"{path}: malformed JSON at line 4, column 3"));
    }

    [Test]
    public void CommentsAndTrailingCommasAreAccepted()
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("json"), "ok.json");
        File.WriteAllText(path, "{\n  // a comment\n  \"seed\": 1,\n}\n");
        Assert.DoesNotThrow(() => JsonSyntax.Check(path));
    }

    [Test]
    public void ATopLevelArrayIsRejected()
    {
        string path = Path.Combine(TestPaths.NewTemporaryDirectory("json"), "array.json");
        File.WriteAllText(path, "[1, 2]");
        var error = Assert.Throws<CoinUserException>(() => JsonSyntax.Check(path));
        Assert.That(error!.Message, Does.Contain("expected a JSON object at the top level"));
    }

    [Test]
    public void AFileWithMoreKeysThanAnyExperimentNeedsIsRefusedBeforeItIsBound()
    {
        string folder = TestPaths.NewTemporaryDirectory("json");
        string Variables(int count) => "{\"variables\": {" + string.Join(", ", Enumerable.Range(0, count).Select(i => $"\"v{i}\": \"x\"")) + "}}";
        string atLimit = Path.Combine(folder, "at-limit.json"), over = Path.Combine(folder, "over.json");
        File.WriteAllText(atLimit, Variables(JsonSyntax.MaxKeys - 1));   // the "variables" key itself is one more
        File.WriteAllText(over, Variables(64_000));
        Assert.DoesNotThrow(() => JsonSyntax.Check(atLimit));
        var error = Assert.Throws<CoinUserException>(() => JsonSyntax.Check(over));
        Assert.That(error!.Message, Is.EqualTo($"{over}: holds 64,001 keys and list items; an experiment file may hold at most 10,000 (the shipped ones hold fewer than 200)"));
    }
}
