using Rendition.Execution;

namespace Rendition.Execution.Tests;

/// <summary>Measures allocations of the whole process, so nothing else may run meanwhile.</summary>
[CollectionDefinition(nameof(AllocationCollection), DisableParallelization = true)]
public sealed class AllocationCollection;

/// <summary>What the runner keeps of a process's output is bounded, whatever the process writes (real processes, real pipes).</summary>
[Collection(nameof(AllocationCollection))]
public sealed class ProcessRunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rendition-runner-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task<ProcessResult> Sh(string script, ProcessWatch watch) =>
        ProcessRunner.RunAsync(new SandboxedCommand("/bin/sh", ["-c", script]), _dir, TimeSpan.FromSeconds(60), watch, CancellationToken.None);

    /// <summary>
    /// 200 MB on stdout and 200 MB on stderr, each one line with no newline (what ffmpeg prints for a file with a huge
    /// title): kept are 1 MB of stdout and the stderr tail, and the run allocates a fraction of what went through the pipes
    /// (reading lines whole, as Process.BeginOutputReadLine does, held 800 MB of strings).
    /// </summary>
    [Fact]
    public async Task HugeOutput_WithoutNewlines_IsCapped_AndNeverHeld()
    {
        var lines = 0;
        var longest = 0;
        GC.Collect();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var result = await Sh("head -c 209715200 /dev/zero | tr '\\0' A; head -c 209715200 /dev/zero | tr '\\0' B >&2", new ProcessWatch
        {
            CaptureStdout = true,
            StdoutBytes = 1 << 20,
            StderrChars = 4000,
            OnStderrLine = line =>
            {
                lines++;
                longest = Math.Max(longest, line.Length);
            },
        });
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(0, result.ExitCode);
        Assert.True(result.StandardOutputTruncated);
        Assert.Equal(1 << 20, result.StandardOutput.Length);
        Assert.All(result.StandardOutput, c => Assert.Equal('A', c));
        Assert.Equal(1, lines);
        Assert.Equal(ProcessRunner.MaxLineBytes, longest);
        Assert.InRange(result.StandardErrorTail.Length, 1, 4000);
        Assert.True(allocated < 64L << 20, $"the run allocated {allocated >> 20} MB for 400 MB of output");
    }

    [Fact]
    public async Task StdoutThatFits_IsKeptWhole()
    {
        var result = await Sh("printf '{\"a\": 1}\\n'", new ProcessWatch { CaptureStdout = true });
        Assert.False(result.StandardOutputTruncated);
        Assert.Equal("{\"a\": 1}\n", result.StandardOutput);
    }

    [Fact]
    public async Task Lines_SplitAtCrOrLf_EmptyOnesSkipped_LastOneWithoutNewlineKept()
    {
        var seen = new List<string>();
        var result = await Sh("printf 'one\\r\\ntwo\\n\\nthree\\rfour\\nfrac=1,5\\nlast'", new ProcessWatch { OnStdoutLine = seen.Add });
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["one", "two", "three", "four", "frac=1,5", "last"], seen);
        Assert.Equal("", result.StandardOutput);
    }

    [Fact]
    public async Task StderrTail_KeepsTheLastCharacters()
    {
        var result = await Sh("i=0; while [ $i -lt 2000 ]; do echo \"line $i\" >&2; i=$((i+1)); done", new ProcessWatch { StderrChars = 100 });
        Assert.True(result.StandardErrorTail.Length <= 100);
        Assert.EndsWith("line 1999", result.StandardErrorTail, StringComparison.Ordinal);
    }
}
