using System.Runtime.InteropServices;

namespace Rendition.Execution;

/// <summary>The seccomp filter could not be built (libseccomp missing or refusing a rule): the reason, for the start-up message.</summary>
public sealed class SeccompUnavailableException : Exception
{
    public SeccompUnavailableException(string message)
        : base(message)
    {
    }

    public SeccompUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SeccompUnavailableException()
    {
    }
}

/// <summary>
/// The system calls a sandboxed command may not make, compiled by libseccomp into the BPF program bubblewrap loads with
/// <c>--seccomp</c> before it runs the command. Everything else is allowed: this is a deny list of what Docker's default
/// profile also keeps from containers, behind the namespaces and the dropped capabilities (most of these fail without
/// capabilities anyway; the filter keeps the kernel code behind them out of reach, where a bug would otherwise be exploitable).
/// Denied calls fail with EPERM (clone3 with ENOSYS), so ffmpeg reports an error instead of being killed.
/// </summary>
public static partial class SeccompProfile
{
    private const string Library = "libseccomp.so.2";
    private const uint ActionAllow = 0x7fff0000;
    private const uint ActionKillProcess = 0x80000000;
    private const uint ActionErrno = 0x00050000;
    private const int AttributeBadArchAction = 2;
    private const int CompareMaskedEqual = 7;
    private const int ResolveError = -1;

    /// <summary>errno of a denied call.</summary>
    public const int EPERM = 1;

    /// <summary>errno of <c>clone3</c>: its flags live in memory a filter cannot read, and ENOSYS makes glibc fall back to <c>clone</c>, whose flags it can.</summary>
    public const int ENOSYS = 38;

    /// <summary>The denied system calls, by reason (docs/security.md lists the same).</summary>
    public static IReadOnlyList<(string Reason, string[] Calls)> Denied { get; } =
    [
        ("namespaces, mounts and the root: a new user namespace hands the process every capability inside it, the way to most kernel privilege bugs",
            ["unshare", "setns", "mount", "umount", "umount2", "pivot_root", "chroot", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree", "mount_setattr"]),
        ("other processes' memory and state", ["ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "kcmp", "pidfd_getfd"]),
        ("kernel attack surface no media tool needs", ["bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
            "keyctl", "add_key", "request_key", "lookup_dcookie", "fanotify_init", "modify_ldt", "vm86", "vm86old", "uselib", "ustat", "sysfs", "_sysctl", "nfsservctl"]),
        ("file handles, which open files by inode past the mount namespace", ["open_by_handle_at", "name_to_handle_at"]),
        ("kernel modules and kexec", ["init_module", "finit_module", "delete_module", "create_module", "get_kernel_syms", "query_module", "kexec_load", "kexec_file_load"]),
        ("the machine itself: power, swap, accounting, quotas, clock, hostname, console and kernel log",
            ["reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "settimeofday", "stime", "clock_settime", "clock_adjtime", "adjtimex",
                "sethostname", "setdomainname", "vhangup", "syslog", "iopl", "ioperm", "move_pages", "migrate_pages"]),
    ];

    /// <summary><c>clone</c> flags that create namespaces: a clone with any of them is denied (CLONE_NEWTIME shares its bit with the exit signal, and has only unshare/clone3, both denied).</summary>
    public static IReadOnlyList<(string Name, ulong Flag)> CloneNamespaceFlags { get; } =
    [
        ("CLONE_NEWNS", 0x00020000), ("CLONE_NEWCGROUP", 0x02000000), ("CLONE_NEWUTS", 0x04000000), ("CLONE_NEWIPC", 0x08000000),
        ("CLONE_NEWUSER", 0x10000000), ("CLONE_NEWPID", 0x20000000), ("CLONE_NEWNET", 0x40000000),
    ];

    /// <summary><c>personality</c> flags denied: they switch off ASLR or make data executable, which helps exploits and nothing else here.</summary>
    public static IReadOnlyList<(string Name, ulong Flag)> PersonalityFlags { get; } =
    [
        ("ADDR_NO_RANDOMIZE", 0x0040000), ("MMAP_PAGE_ZERO", 0x0100000), ("ADDR_COMPAT_LAYOUT", 0x0200000), ("READ_IMPLIES_EXEC", 0x0400000),
        ("ADDR_LIMIT_32BIT", 0x0800000), ("ADDR_LIMIT_3GB", 0x8000000),
    ];

    /// <summary>
    /// Compiles the profile for this machine's architecture and writes the BPF program to <paramref name="path"/>. Calls
    /// through another ABI (i386's <c>int 0x80</c> or x32 on x86-64) kill the process: ffmpeg never makes them, and a
    /// filter written for one ABI's numbers does not describe the other's.
    /// </summary>
    public static void Export(string path)
    {
        IntPtr ctx;
        try
        {
            ctx = Init(ActionAllow);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new SeccompUnavailableException($"libseccomp ({Library}) is not installed (apt-get install libseccomp2)", e);
        }
        if (ctx == IntPtr.Zero)
        {
            throw new SeccompUnavailableException("libseccomp could not create a filter");
        }
        try
        {
            Check(AttributeSet(ctx, AttributeBadArchAction, ActionKillProcess), "setting the action for other ABIs");
            foreach (var (_, calls) in Denied)
            {
                foreach (var call in calls)
                {
                    AddRule(ctx, call, ActionErrno | EPERM, []);
                }
            }
            AddRule(ctx, "clone3", ActionErrno | ENOSYS, []);
            foreach (var (_, flag) in CloneNamespaceFlags)
            {
                AddRule(ctx, "clone", ActionErrno | EPERM, [new ArgCompare(0, CompareMaskedEqual, flag, flag)]);
            }
            foreach (var (_, flag) in PersonalityFlags)
            {
                // Bit 31 is in the mask so that personality(0xffffffff), which only asks for the current persona, still passes.
                AddRule(ctx, "personality", ActionErrno | EPERM, [new ArgCompare(0, CompareMaskedEqual, flag | 0x80000000, flag)]);
            }
            using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
            Check(ExportBpf(ctx, (int)file.SafeFileHandle.DangerousGetHandle()), "writing the BPF program");
        }
        finally
        {
            Release(ctx);
        }
    }

    /// <summary>The number of a system call on this machine's architecture, or null when libseccomp does not know it here.</summary>
    public static int? SyscallNumber(string name)
    {
        var nr = ResolveName(name);
        return nr >= 0 ? nr : null;
    }

    private static void AddRule(IntPtr ctx, string call, uint action, ArgCompare[] conditions)
    {
        var nr = ResolveName(call);
        if (nr == ResolveError)
        {
            // Newer than this libseccomp: it cannot name it, and the kernel it was built for did not have it.
            return;
        }
        var rc = RuleAddArray(ctx, action, nr, (uint)conditions.Length, conditions);
        // A call this architecture does not have (vm86 on x86-64: a negative pseudo number) needs no rule.
        if (rc != 0 && nr >= 0)
        {
            Check(rc, $"adding the rule for {call}");
        }
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0)
        {
            throw new SeccompUnavailableException($"libseccomp failed {what} ({Marshal.GetPInvokeErrorMessage(-rc)})");
        }
    }

    /// <summary>libseccomp's <c>struct scmp_arg_cmp</c>: argument index, operator, and two operands (mask and value for a masked compare).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct ArgCompare(uint Arg, int Op, ulong DatumA, ulong DatumB);

    [LibraryImport(Library, EntryPoint = "seccomp_init")]
    private static partial IntPtr Init(uint defaultAction);

    [LibraryImport(Library, EntryPoint = "seccomp_release")]
    private static partial void Release(IntPtr ctx);

    [LibraryImport(Library, EntryPoint = "seccomp_attr_set")]
    private static partial int AttributeSet(IntPtr ctx, int attribute, uint value);

    [LibraryImport(Library, EntryPoint = "seccomp_syscall_resolve_name", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ResolveName(string name);

    [LibraryImport(Library, EntryPoint = "seccomp_rule_add_array")]
    private static partial int RuleAddArray(IntPtr ctx, uint action, int syscall, uint count, [In] ArgCompare[] conditions);

    [LibraryImport(Library, EntryPoint = "seccomp_export_bpf")]
    private static partial int ExportBpf(IntPtr ctx, int fd);
}
