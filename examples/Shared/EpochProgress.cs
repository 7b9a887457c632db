using System;
using Spectre.Console;

namespace SoftGen.Examples;

/// <summary>
/// The examples' console output while Fit runs. On an interactive terminal, a Spectre.Console progress bar for the
/// epoch in progress (driven by <see cref="FitOptions.BatchProgress"/>; its text the epoch, the running mean loss and
/// the learning rate), replaced by the epoch's summary line when the epoch ends. With the output redirected (or a
/// terminal without ANSI support), the summary lines alone, as plain text.
/// </summary>
internal static class EpochProgress
{
    /// <summary>Whether the bars are drawn: stdout is a terminal that Spectre.Console finds interactive and ANSI-capable.</summary>
    public static bool ShowsBars =>
        !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive && AnsiConsole.Profile.Capabilities.Ansi;

    /// <summary>
    /// Calls <paramref name="fit"/> with <paramref name="options"/> whose progress prints <paramref name="summary"/>'s
    /// line after each epoch (none when it returns null) and, on a terminal, draws the bars; the options' own
    /// <see cref="FitOptions.Progress"/>, if any, is still called after the line (their BatchProgress is replaced
    /// while the bars are drawn).
    /// </summary>
    public static FitResult Run(FitOptions options, Func<FitOptions, FitResult> fit, Func<EpochReport, string?> summary)
    {
        if (!ShowsBars)
            return fit(options with { Progress = new Reporter<EpochReport>(report => EpochEnded(report, summary, options, Console.WriteLine)) });

        FitResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var bar = new EpochBar(context);
                result = fit(options with
                {
                    BatchProgress = bar,
                    Progress = new Reporter<EpochReport>(report =>
                    {
                        bar.Finish();
                        // Written through AnsiConsole, so that the line goes above the live bar instead of through it.
                        EpochEnded(report, summary, options, line => AnsiConsole.Console.WriteLine(line, Style.Plain));
                    }),
                });
            });
        return result!;
    }

    private static void EpochEnded(EpochReport report, Func<EpochReport, string?> summary, FitOptions options, Action<string> write)
    {
        if (summary(report) is { } line)
            write(line);
        options.Progress?.Report(report);
    }

    /// <summary>The bar of the epoch in progress: made at its first batch, completed (and so hidden) at its end.</summary>
    private sealed class EpochBar(ProgressContext context) : IProgress<BatchReport>
    {
        private ProgressTask? _task;
        private int _epoch;
        private double _lossSum;

        public void Report(BatchReport batch)
        {
            if (_task is null || batch.Epoch != _epoch)
            {
                Finish();
                _task = context.AddTask($"epoch {batch.Epoch}/{batch.Epochs}", maxValue: batch.Batches);
                _epoch = batch.Epoch;
                _lossSum = 0;
            }
            _lossSum += batch.Loss;
            _task.Value = batch.Batch;
            // The description is Spectre markup; this text has no brackets to escape.
            _task.Description = $"epoch {batch.Epoch}/{batch.Epochs}  loss {_lossSum / batch.Batch:F4}  lr {batch.LearningRate:0.00e+0}";
        }

        public void Finish()
        {
            if (_task is null) return;
            _task.Value = _task.MaxValue;
            _task.StopTask();
            _task = null;
        }
    }

    /// <summary>Reports synchronously, on the training thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Reporter<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
