using Coin.Engine.Running;
using Spectre.Console;

namespace Coin.Host.Presentation;

/// <summary>The observers the <c>coin</c> command runs with.</summary>
public static class StandardObservers
{
    /// <summary>The report files, TensorBoard (when the experiment turns it on) and the console, in that order: the
    /// report draws the plots that TensorBoard embeds and the console names.</summary>
    public static RunObservers For(IAnsiConsole console) => new(new ReportObserver(), new TensorBoardObserver(), new ConsoleObserver(console));
}
