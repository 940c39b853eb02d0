using Coin.Engine.Running;
using Spectre.Console;

namespace Coin.Host.Presentation;

/// <summary>The observers the <c>coin</c> command runs with.</summary>
public static class StandardObservers
{
    /// <summary>The report files, the console and TensorBoard (when the experiment turns it on), in that order: the
    /// report draws the plots that TensorBoard embeds and the console names, and the console's header comes before
    /// TensorBoard rewrites a resumed run's events. One run at a time: TensorBoard's observer holds the run's event file.</summary>
    public static RunObservers For(IAnsiConsole console) => new(new ReportObserver(), new ConsoleObserver(console), new TensorBoardObserver());
}
