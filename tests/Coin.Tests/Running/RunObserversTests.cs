using Coin.Engine.Running;

namespace Coin.Tests.Running;

/// <summary>Several observers as one: each event to each in order, a phase's progress to every observer's sink, and
/// every observer closed even when one throws.</summary>
public class RunObserversTests
{
    private sealed class Recording(string name, List<string> log, bool throwOnClose = false) : IRunObserver
    {
        public void Info(string line) => log.Add($"{name}: {line}");

        public T Phase<T>(string title, int total, string unit, Func<IProgressSink, T> work)
        {
            log.Add($"{name} begins {title}");
            var result = work(new Sink(name, log));
            log.Add($"{name} ends {title}");
            return result;
        }

        public void Closed()
        {
            log.Add($"{name} closed");
            if (throwOnClose) throw new IOException($"{name} could not close");
        }

        private sealed class Sink(string name, List<string> log) : IProgressSink
        {
            public void Advance(int units, string status) => log.Add($"{name} +{units} {status}");
        }
    }

    /// <summary>Implements no event: every default applies.</summary>
    private sealed class Silent : IRunObserver;

    [Test]
    public void Events_reach_every_observer_in_order_and_a_phase_nests_their_progress()
    {
        var log = new List<string>();
        var observers = new RunObservers(new Recording("a", log), new Silent(), new Recording("b", log));
        observers.Info("hello");
        int result = observers.Phase("train x", 2, "steps", sink =>
        {
            sink.Advance(1, "loss 1");
            return 42;
        });
        Assert.That(result, Is.EqualTo(42));
        Assert.That(log, Is.EqualTo(new[] { "a: hello", "b: hello", "a begins train x", "b begins train x", "a +1 loss 1", "b +1 loss 1", "b ends train x", "a ends train x" }));
        Assert.That(observers.Waiting("loading"), Is.Null, "no observer waits visibly");
    }

    [Test]
    public void Every_observer_is_closed_when_one_throws_and_the_failure_is_not_lost()
    {
        var log = new List<string>();
        var observers = new RunObservers(new Recording("a", log, throwOnClose: true), new Recording("b", log));
        var error = Assert.Throws<IOException>(observers.Closed);
        Assert.That(error!.Message, Is.EqualTo("a could not close"));
        Assert.That(log, Is.EqualTo(new[] { "a closed", "b closed" }));
    }
}
