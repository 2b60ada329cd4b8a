using System.Runtime.InteropServices;

namespace Rendition.Execution;

/// <summary>What a path is, without following symbolic links (code in a sandbox could plant a link or a FIFO as an "output").</summary>
public static partial class FileKinds
{
    private const uint TypeMask = 0xF000;
    private const uint RegularFile = 0x8000;

    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int LStat(string path, Span<byte> buffer);

    /// <summary>
    /// Every regular file under <paramref name="root"/>, as a relative path with '/' between folders, in ordinal order.
    /// Links are neither listed nor followed (a link to a folder is not walked into); FIFOs and other special files are skipped.
    /// </summary>
    public static List<string> RegularFilesUnder(string root)
    {
        var found = new List<string>();
        Walk(root, "");
        found.Sort(StringComparer.Ordinal);
        return found;

        void Walk(string dir, string prefix)
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
            {
                var name = prefix + Path.GetFileName(entry);
                var info = new DirectoryInfo(entry);
                if (info.LinkTarget is not null)
                {
                    continue;
                }
                if (info.Exists)
                {
                    Walk(entry, name + "/");
                }
                else if (IsRegularFile(entry))
                {
                    found.Add(name);
                }
            }
        }
    }

    /// <summary>True only for a regular file (not a link, FIFO, socket, device or directory).</summary>
    public static bool IsRegularFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.LinkTarget is not null)
        {
            return false;
        }
        // st_mode sits at a different offset in struct stat per architecture (glibc).
        var modeOffset = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => -1,
        };
        if (modeOffset < 0 || !OperatingSystem.IsLinux())
        {
            // Unknown layout: links are already excluded; a FIFO would show up as an empty file and fail probing.
            return true;
        }
        Span<byte> buffer = stackalloc byte[256];
        if (LStat(path, buffer) != 0)
        {
            return false;
        }
        var mode = BitConverter.ToUInt32(buffer.Slice(modeOffset, 4));
        return (mode & TypeMask) == RegularFile;
    }
}
