using Coin.Engine.Running;

namespace Coin.Host.Presentation;

/// <summary>A completed run's plots, report.md, report.html and accuracy-matrix.csv, written before its record says
/// "completed" (what <c>coin report</c> writes again from the folder).</summary>
public sealed class ReportObserver : IRunObserver
{
    public void Completing(RunCompletion completion) => completion.Plots.AddRange(RunReportFiles.Write(completion.Directory, completion.Results));
}
