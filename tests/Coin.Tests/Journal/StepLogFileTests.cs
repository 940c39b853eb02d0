using Coin.Abstractions.Plugins;
using Coin.Engine.Journal;
using Coin.Tests.Support;

namespace Coin.Tests.Journal;

/// <summary>steps.csv is appended as training goes, quoted as RFC 4180 says, and cut back to a checkpoint's length.</summary>
public class StepLogFileTests
{
    [Test]
    public void Names_with_commas_and_quotes_round_trip()
    {
        string folder = TestPaths.NewTemporaryDirectory("steps");
        using (var log = StepLogFile.Open(folder, 0))
        {
            log.Add("shape, \"kind\"", 3, "llaca/alpha,mean", 0.1);
            log.Add("plain", 4, "loss", double.NaN);
        }
        var read = StepLogFile.Read(Path.Combine(folder, StepLogFile.FileName));
        Assert.That(read.Series("llaca/alpha,mean").Single(), Is.EqualTo(("shape, \"kind\"", 3L, 0.1)));
        Assert.That(double.IsNaN(read.Series("loss").Single().Value));
        Assert.That(File.ReadAllText(Path.Combine(folder, StepLogFile.FileName)), Does.Contain("\"shape, \"\"kind\"\"\",3,\"llaca/alpha,mean\",0.1\n"));
    }

    [Test]
    public void Opening_at_a_checkpoint_length_drops_the_rows_logged_after_it()
    {
        string folder = TestPaths.NewTemporaryDirectory("steps");
        long committed;
        using (var log = StepLogFile.Open(folder, 0))
        {
            log.Add("a", 0, "loss", 1);
            committed = log.Commit();
            log.Add("a", 1, "loss", 2); // after the checkpoint: a resumed run logs it again
        }
        using (var resumed = StepLogFile.Open(folder, committed))
            resumed.Add("a", 1, "loss", 2.5);
        var rows = StepLogFile.Read(Path.Combine(folder, StepLogFile.FileName)).Series("loss").ToList();
        Assert.That(rows, Is.EqualTo(new[] { ("a", 0L, 1.0), ("a", 1L, 2.5) }));
    }

    [Test]
    public void A_log_shorter_than_its_checkpoint_says_is_refused_by_name()
    {
        string folder = TestPaths.NewTemporaryDirectory("steps");
        using (var log = StepLogFile.Open(folder, 0)) log.Add("a", 0, "loss", 1);
        var error = Assert.Throws<CoinUserException>(() => StepLogFile.Open(folder, 10_000))!;
        Assert.That(error.Message, Does.Contain("steps.csv").And.Contain("the checkpoint refers to 10000"));
    }

    [Test]
    public void A_malformed_row_names_the_file_and_line()
    {
        string folder = TestPaths.NewTemporaryDirectory("steps");
        string path = Path.Combine(folder, StepLogFile.FileName);
        File.WriteAllText(path, "task,step,name,value\na,0,loss,1\na,zero,loss,1\n");
        var error = Assert.Throws<CoinUserException>(() => StepLogFile.Read(path))!;
        Assert.That(error.Message, Does.Contain(path).And.Contain("line 3"));
    }
}
