using Spectre.Console;

namespace Rendition.Server.Cli;

/// <summary>
/// Where the client commands write and read their settings from: the process's stdout, stderr and environment, or (in tests)
/// writers and a dictionary. The consoles are made on first use, so <c>rendition serve</c> never touches Spectre.Console.
/// </summary>
public sealed class CliContext
{
    private readonly Lazy<IAnsiConsole> _out;
    private readonly Lazy<IAnsiConsole> _error;

    /// <summary>A context over the given consoles and environment.</summary>
    public CliContext(Func<IAnsiConsole> output, Func<IAnsiConsole> error, Func<string, string?> environment)
    {
        _out = new Lazy<IAnsiConsole>(output);
        _error = new Lazy<IAnsiConsole>(error);
        Environment = environment;
    }

    /// <summary>Human output: progress, tables, results.</summary>
    public IAnsiConsole Out => _out.Value;

    /// <summary>Errors.</summary>
    public IAnsiConsole Error => _error.Value;

    /// <summary>Reads an environment variable (<c>RENDITION_SERVER</c>, <c>RENDITION_API_KEY</c>).</summary>
    public Func<string, string?> Environment { get; }

    /// <summary>
    /// The real process. Spectre decides from the streams themselves: when stdout is not a terminal there are no ANSI codes
    /// and the progress bar falls back to a few plain lines (25 %, 50 %…) instead of redrawing.
    /// </summary>
    public static CliContext FromProcess() =>
        new(() => ForWriter(Console.Out), () => ForWriter(Console.Error), System.Environment.GetEnvironmentVariable);

    /// <summary>Plain text into a writer: no colours, no cursor movement, a wide line so ids and URLs are never wrapped.</summary>
    public static CliContext ForWriters(TextWriter output, TextWriter error, IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return new(() => Plain(output), () => Plain(error), name => environment.GetValueOrDefault(name));
    }

    private static IAnsiConsole ForWriter(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) });
        if (!console.Profile.Out.IsTerminal)
        {
            // Redirected output is read by programs and people scrolling a log: Spectre's 80-column default would wrap ids.
            console.Profile.Width = Math.Max(console.Profile.Width, 200);
        }
        return console;
    }

    private static IAnsiConsole Plain(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        return console;
    }
}
