using Microsoft.Extensions.Logging;
using Rendition.Core;

namespace Rendition.Execution;

/// <summary>
/// One attempt's directories under <c>data/work</c>: the job directory (<c>{command id}-{attempt id}</c>), which is ffmpeg's
/// working directory and <c>/job</c> in the sandbox, and a scratch directory beside it that the command never sees (zips are
/// fetched and built there). Per attempt, so a worker that lost its lease or was stopped deletes only its own; after a
/// crash, the start-up sweep of the work root removes them.
/// </summary>
public sealed class JobWorkspace(string workRoot, Guid commandId, Guid attemptId, ILogger logger)
{
    /// <summary>Where job directories live (uploads are staged in its <c>files</c> sub-directory).</summary>
    public static string Root(RenditionOptions options) => Path.Combine(options.FullDataDir, "work");

    public string Directory { get; } = Path.Combine(workRoot, $"{commandId:N}-{attemptId:N}");

    private string ScratchDirectory => Directory + ".scratch";

    /// <summary>A file of the job directory, by its name there.</summary>
    public string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>Starts the job directory empty (a directory left by this very attempt is removed first).</summary>
    public void Create()
    {
        TryDeleteDirectory(Directory);
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>A path in the scratch directory (created on first use).</summary>
    public string ScratchFile(string name) => Path.Combine(System.IO.Directory.CreateDirectory(ScratchDirectory).FullName, name);

    /// <summary>Removes both directories; what cannot be removed is logged and left to the start-up sweep.</summary>
    public void Delete()
    {
        TryDeleteDirectory(Directory);
        TryDeleteDirectory(ScratchDirectory);
    }

    public void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "Could not delete work file {Path}", path);
        }
    }

    private void TryDeleteDirectory(string dir)
    {
        try
        {
            if (System.IO.Directory.Exists(dir))
            {
                System.IO.Directory.Delete(dir, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(e, "Could not delete job directory {Directory}", dir);
        }
    }
}
