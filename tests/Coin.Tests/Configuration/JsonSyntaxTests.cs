using Coin.Abstractions.Plugins;
using Coin.Host.Configuration;
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
}
