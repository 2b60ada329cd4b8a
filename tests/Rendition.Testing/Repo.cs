namespace Rendition.Testing;

/// <summary>The repository the tests were built from: the docs they check and the helper servers they start live there.</summary>
public static class Repo
{
    /// <summary>The directory holding Rendition.slnx, found upwards from the test assembly.</summary>
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Rendition.slnx")))
            {
                dir = dir.Parent;
            }
            return dir?.FullName ?? throw new DirectoryNotFoundException($"No Rendition.slnx above {AppContext.BaseDirectory}");
        }
    }
}
