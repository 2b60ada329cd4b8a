using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using Rendition.Client;
using Spectre.Console;

namespace Rendition.Server.Cli;

/// <summary>
/// The commands for people at a terminal, talking to a running server through the SDK: <c>rendition run</c> (upload, submit,
/// follow with a progress bar, download), <c>status</c>, <c>ls</c>, <c>logs</c> and <c>cancel</c>. Exit codes: 0 done,
/// 1 the command failed or the server refused the request, 2 a usage error found before anything was sent (no key, a
/// missing input, an existing output), 3 the server could not be reached, 130 interrupted.
/// </summary>
public static class ClientCommands
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Unreachable = 3;
    public const int Interrupted = 130;

    public const string ServerVariable = "RENDITION_SERVER";
    public const string KeyVariable = "RENDITION_API_KEY";
    public const string DefaultServer = "http://localhost:8080";

    private static readonly string[] Statuses = [CommandStatuses.Queued, CommandStatuses.Processing, CommandStatuses.Success, CommandStatuses.Failed];

    public static IEnumerable<Command> Build(CliContext cli) =>
        [BuildRun(cli), BuildStatus(cli), BuildList(cli), BuildLogs(cli), BuildCancel(cli)];

    // ---- run ----

    private static Command BuildRun(CliContext cli)
    {
        var connection = new Connection();
        var inputs = new Option<string[]>("--input", "-i")
        {
            Description = "An input: a local file (uploaded first) or an http(s) URL (fetched by the server); repeat for more. "
                + "The first is {{in_1}}, the next {{in_2}}…",
        };
        var outputs = new Option<string[]>("--output", "-o")
        {
            Description = "A local file to download an output to, once the command succeeded; repeat for more. "
                + "The first is {{out_1}}; its file name (and extension) is the one ffmpeg writes.",
        };
        var overwrite = new Option<bool>("--overwrite", "-y") { Description = "Replace output files that already exist" };
        var timeout = new Option<int?>("--timeout") { Description = "Give up waiting after this many seconds (the command keeps running)" };
        var options = new Argument<string[]>("ffmpeg-options")
        {
            Description = "After --: the ffmpeg options. Without {{in_N}} placeholders '-i {{in_1}} …' is put in front; "
                + "without {{out_N}} placeholders the outputs go at the end.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var run = new Command("run", "Run ffmpeg on a Rendition server: upload local inputs, submit, follow progress, download the outputs. "
            + "Example: rendition run -i in.mp4 -o out.webm -- -c:v libvpx-vp9 -crf 30 -b:v 0")
        {
            inputs, outputs, overwrite, timeout, options,
        };
        connection.AddTo(run);
        run.SetAction((parse, ct) => Guard(cli, connection, parse, ct: ct, action: (client, server, ct) => RunAsync(cli, client, server, new RunArgs(
            parse.GetValue(inputs) ?? [], parse.GetValue(outputs) ?? [], parse.GetValue(options) ?? [], parse.GetValue(overwrite),
            parse.GetValue(timeout) is { } t ? TimeSpan.FromSeconds(t) : null), ct)));
        return run;
    }

    private sealed record RunArgs(string[] Inputs, string[] Outputs, string[] Options, bool Overwrite, TimeSpan? Timeout);

    private static async Task<int> RunAsync(CliContext cli, RenditionClient client, Uri server, RunArgs args, CancellationToken ct)
    {
        // Everything that can be checked locally is, before a byte is uploaded.
        if (args.Outputs.Length == 0)
        {
            return Fail(cli, Usage, "give at least one output with -o FILE (where to download it to).");
        }
        foreach (var input in args.Inputs.Where(i => !IsUrl(i)))
        {
            if (!File.Exists(input))
            {
                return Fail(cli, Usage, $"input '{input}' is not a file here (local inputs are uploaded; URLs must start with http:// or https://).");
            }
        }
        var outputPaths = args.Outputs.Select(Path.GetFullPath).ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in outputPaths)
        {
            if (!names.Add(Path.GetFileName(path)))
            {
                return Fail(cli, Usage, $"two outputs are named '{Path.GetFileName(path)}'; the server stores outputs by file name, so give them different names.");
            }
            if (!args.Overwrite && File.Exists(path))
            {
                return Fail(cli, Usage, $"output '{path}' exists; pass -y to replace it.");
            }
        }

        var request = new RunCommandRequest
        {
            FfmpegCommand = FfmpegCommandLine.Build(args.Options, args.Inputs.Length, args.Outputs.Length),
        };
        for (var i = 0; i < args.Inputs.Length; i++)
        {
            request.InputFiles[FfmpegCommandLine.InputAlias(i)] = IsUrl(args.Inputs[i])
                ? args.Inputs[i]
                : await UploadAsync(cli, client, args.Inputs[i], ct);
        }
        for (var i = 0; i < outputPaths.Count; i++)
        {
            request.OutputFiles[FfmpegCommandLine.OutputAlias(i)] = Path.GetFileName(outputPaths[i]);
        }

        var id = await client.RunAsync(request, ct);
        cli.Out.MarkupLine($"Command [bold]{id}[/] submitted to {Markup.Escape(server.ToString())}");
        CommandResult done;
        try
        {
            done = await FollowWithProgressAsync(cli, client, id, args.Timeout, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl+C: the user wants the work stopped, not left running unseen on the server.
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await client.CancelAsync(id, grace.Token);
                return Fail(cli, Interrupted, $"interrupted; command {id} was cancelled.");
            }
            catch (Exception e) when (e is RenditionApiException or HttpRequestException or OperationCanceledException)
            {
                return Fail(cli, Interrupted, $"interrupted; command {id} may still be running (rendition cancel {id}).");
            }
        }
        catch (TimeoutException)
        {
            return Fail(cli, Failed, $"command {id} had not finished after {args.Timeout!.Value.TotalSeconds:0} s; it keeps running: rendition status {id}");
        }

        if (done.Status != CommandStatuses.Success)
        {
            return ReportFailure(cli, done);
        }

        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("Output").AddColumn(new TableColumn("File").NoWrap()).AddColumn(new TableColumn("Size").RightAligned())
            .AddColumn(new TableColumn("Duration").RightAligned()).AddColumn("Codec").AddColumn("Resolution");
        for (var i = 0; i < outputPaths.Count; i++)
        {
            var alias = FfmpegCommandLine.OutputAlias(i);
            if (!done.OutputFiles.TryGetValue(alias, out var file) || file.StorageUrl is null)
            {
                return Fail(cli, Failed, $"command {id} succeeded but has no stored {alias}.");
            }
            await DownloadAsync(client, file.StorageUrl, outputPaths[i], ct);
            table.AddRow(alias, Markup.Escape(outputPaths[i]), Bytes(new FileInfo(outputPaths[i]).Length), Seconds(file.Duration),
                Markup.Escape(file.Codec ?? "-"), file.Width is { } w && file.Height is { } h ? $"{w}x{h}" : "-");
        }
        cli.Out.Write(table);
        cli.Out.MarkupLine($"[green]Done[/] in {Seconds(done.TotalProcessingSeconds)} (ffmpeg {Seconds(done.FfmpegCommandRunSeconds)}), command {id}");
        return Ok;
    }

    private static async Task<string> UploadAsync(CliContext cli, RenditionClient client, string path, CancellationToken ct)
    {
        cli.Out.MarkupLine($"Uploading {Markup.Escape(path)} ({Bytes(new FileInfo(path).Length)})");
        var fileId = await client.UploadFileAsync(path, ct);
        var stored = await client.WaitForFileAsync(fileId, TimeSpan.FromMinutes(10), ct);
        if (stored.Status != "STORED" || stored.StorageUrl is null)
        {
            throw new RenditionApiException(HttpStatusCode.UnprocessableEntity, stored.ErrorStatus ?? "UPLOAD_FAILED",
                $"the upload of {path} ended {stored.Status}: {stored.ErrorMessage}");
        }
        // The server reads its own storage URLs straight from its blob store, so nothing is downloaded twice.
        return stored.StorageUrl;
    }

    private static async Task DownloadAsync(RenditionClient client, string storageUrl, string path, CancellationToken ct)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        // Into a side file first: an interrupted download never leaves a truncated file under the real name.
        var partial = path + ".part";
        var stream = File.Create(partial);
        await using (stream.ConfigureAwait(false))
        {
            await client.DownloadAsync(storageUrl, stream, ct);
        }
        File.Move(partial, path, overwrite: true);
    }

    /// <summary>Follows the command to its end with a progress bar: the live event stream, or polling where there is none.</summary>
    private static async Task<CommandResult> FollowWithProgressAsync(CliContext cli, RenditionClient client, string id, TimeSpan? timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (timeout is { } t)
        {
            limit.CancelAfter(t);
        }
        try
        {
            return await cli.Out.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                    new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("Queued", maxValue: 100);
                    task.IsIndeterminate = true;
                    void Show(string status, CommandProgress? p)
                    {
                        task.Description = Describe(status, p);
                        if (p?.Percent is { } percent)
                        {
                            task.IsIndeterminate = false;
                            task.Value = Math.Clamp(percent, 0, 100);
                        }
                        if (status == CommandStatuses.Success)
                        {
                            task.IsIndeterminate = false;
                            task.Value = 100;
                        }
                        if (CommandStatuses.IsFinal(status))
                        {
                            task.StopTask();
                        }
                    }
                    var result = await FollowAsync(client, id, Show, limit.Token);
                    Show(result.Status, result.Progress);
                    return result;
                });
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new TimeoutException($"command {id} still running");
        }
    }

    private static async Task<CommandResult> FollowAsync(RenditionClient client, string id, Action<string, CommandProgress?> show, CancellationToken ct)
    {
        try
        {
            await foreach (var e in client.StreamEventsAsync(id, ct))
            {
                show(e.Status, e.Progress);
                if (e.Result is { } result)
                {
                    return result;
                }
            }
        }
        catch (RenditionApiException e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed or HttpStatusCode.NotImplemented)
        {
            // No event stream (RenderIO itself, or an older server): polling below tells a missing command apart.
        }
        catch (Exception e) when (e is HttpRequestException or IOException && !ct.IsCancellationRequested)
        {
            // The stream broke off (a proxy's idle timeout, a restart): carry on by polling.
        }
        while (true)
        {
            var poll = await client.GetAsync(id, ct);
            show(poll.Status, poll.Progress);
            if (poll.IsFinal)
            {
                return poll;
            }
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }
    }

    private static string Describe(string status, CommandProgress? p)
    {
        var what = status switch
        {
            CommandStatuses.Queued => "Queued",
            CommandStatuses.Processing when p is null => "Processing",
            CommandStatuses.Processing => "Encoding",
            CommandStatuses.Success => "Done",
            CommandStatuses.Failed => "Failed",
            _ => status,
        };
        if (p is null || status != CommandStatuses.Processing)
        {
            return what;
        }
        var detail = string.Create(CultureInfo.InvariantCulture, $"{what} {p.OutTimeSeconds:0.0} s");
        if (p.Speed is { } speed and > 0)
        {
            detail += string.Create(CultureInfo.InvariantCulture, $" at {speed:0.##}x");
        }
        if (p.Steps > 1)
        {
            detail += string.Create(CultureInfo.InvariantCulture, $", step {p.Step}/{p.Steps}");
        }
        return detail;
    }

    private static int ReportFailure(CliContext cli, CommandResult done)
    {
        cli.Error.MarkupLine($"[red]Command {done.CommandId} failed:[/] [bold]{Markup.Escape(done.ErrorStatus ?? "UNKNOWN")}[/]");
        if (!string.IsNullOrWhiteSpace(done.ErrorMessage))
        {
            cli.Error.WriteLine(done.ErrorMessage.TrimEnd());
        }
        cli.Error.WriteLine($"ffmpeg's full output: rendition logs {done.CommandId}");
        return Failed;
    }

    // ---- status, ls, logs, cancel ----

    private static Command BuildStatus(CliContext cli)
    {
        var connection = new Connection();
        var id = new Argument<string>("command-id") { Description = "The command's id" };
        var json = new Option<bool>("--json") { Description = "Print the poll object as JSON" };
        var status = new Command("status", "Show one command: status, error, timings, outputs and their download URLs") { id, json };
        connection.AddTo(status);
        status.SetAction((parse, ct) => Guard(cli, connection, parse, ct: ct, action: async (client, _, ct) =>
        {
            var result = await client.GetAsync(parse.GetValue(id)!, ct);
            if (parse.GetValue(json))
            {
                cli.Out.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(result, RenditionJsonContext.Default.CommandResult));
                return Ok;
            }
            var rows = new List<(string Name, string Value)>
            {
                ("Command", result.CommandId),
                ("Status", StatusMarkup(result.Status)),
                ("Type", Markup.Escape(result.CommandType)),
            };
            if (result.ErrorStatus is not null)
            {
                rows.Add(("Error", $"[red]{Markup.Escape(result.ErrorStatus)}[/]"));
                rows.Add(("Message", Markup.Escape(result.ErrorMessage?.TrimEnd() ?? "")));
            }
            if (result.Progress is { } p)
            {
                rows.Add(("Progress", Markup.Escape(Describe(result.Status, p) + (p.Percent is { } pc ? string.Create(CultureInfo.InvariantCulture, $" ({pc:0.#} %)") : ""))));
            }
            rows.Add(("Total", Seconds(result.TotalProcessingSeconds)));
            rows.Add(("ffmpeg", Seconds(result.FfmpegCommandRunSeconds)));
            if (result.OriginalRequest?.FfmpegCommand is { } command)
            {
                rows.Add(("Command line", Markup.Escape(command)));
            }
            foreach (var (alias, url) in result.OriginalRequest?.InputFiles ?? [])
            {
                rows.Add((Markup.Escape(alias), Markup.Escape(url)));
            }
            foreach (var (name, value) in rows)
            {
                cli.Out.MarkupLine($"{name,-13}{value}");
            }
            if (result.OutputFiles.Count > 0)
            {
                var outputs = result.OutputFiles.OrderBy(f => f.Key, StringComparer.Ordinal).ToList();
                var table = new Table().Border(TableBorder.Rounded)
                    .AddColumn("Output").AddColumn("File").AddColumn(new TableColumn("Size").RightAligned())
                    .AddColumn(new TableColumn("Duration").RightAligned()).AddColumn("Codec").AddColumn("Resolution");
                foreach (var (alias, file) in outputs)
                {
                    table.AddRow(Markup.Escape(alias), Markup.Escape(file.Filename), file.SizeMbytes is { } mb ? Bytes((long)(mb * 1024 * 1024)) : "-",
                        Seconds(file.Duration), Markup.Escape(file.Codec ?? "-"), file.Width is { } w && file.Height is { } h ? $"{w}x{h}" : "-");
                }
                cli.Out.Write(table);
                // The download links on lines of their own, whole, so they can be copied (they are pre-signed: no key needed).
                foreach (var (alias, file) in outputs)
                {
                    cli.Out.WriteLine($"{alias}: {(file.IsDeleted ? "(deleted)" : file.StorageUrl ?? "-")}");
                }
            }
            return Ok;
        }));
        return status;
    }

    private static Command BuildList(CliContext cli)
    {
        var connection = new Connection();
        var statusFilter = new Option<string?>("--status") { Description = "Only commands in this status: QUEUED, PROCESSING, SUCCESS or FAILED" };
        var limit = new Option<int>("--limit", "-n") { Description = "How many (newest first; 1 to 100)", DefaultValueFactory = _ => 20 };
        var json = new Option<bool>("--json") { Description = "Print the list as JSON" };
        var ls = new Command("ls", "List recent commands, newest first") { statusFilter, limit, json };
        connection.AddTo(ls);
        ls.SetAction((parse, ct) =>
        {
            var status = parse.GetValue(statusFilter)?.ToUpperInvariant();
            if (status is not null && !Statuses.Contains(status))
            {
                return Task.FromResult(Fail(cli, Usage, $"--status must be one of {string.Join(", ", Statuses)}."));
            }
            var count = parse.GetValue(limit);
            if (count is < 1 or > 100)
            {
                return Task.FromResult(Fail(cli, Usage, "--limit must be 1 to 100."));
            }
            return Guard(cli, connection, parse, ct: ct, action: async (client, _, ct) =>
            {
                var page = await client.ListAsync(limit: count, status: status, cancellationToken: ct);
                if (parse.GetValue(json))
                {
                    cli.Out.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(page, RenditionJsonContext.Default.CommandList));
                    return Ok;
                }
                if (page.Commands.Count == 0)
                {
                    cli.Out.WriteLine(status is null ? "No commands yet." : $"No {status} commands.");
                    return Ok;
                }
                var table = new Table().Border(TableBorder.Rounded)
                    .AddColumn(new TableColumn("ID").NoWrap()).AddColumn("Status").AddColumn("Type")
                    .AddColumn(new TableColumn("Total").RightAligned()).AddColumn("Outputs").AddColumn("Error");
                foreach (var c in page.Commands)
                {
                    table.AddRow(c.CommandId, StatusMarkup(c.Status), Markup.Escape(c.CommandType), Seconds(c.TotalProcessingSeconds),
                        Markup.Escape(string.Join(", ", c.OutputFiles.Values.Select(f => f.Filename))), Markup.Escape(c.ErrorStatus ?? ""));
                }
                cli.Out.Write(table);
                return Ok;
            });
        });
        return ls;
    }

    private static Command BuildLogs(CliContext cli)
    {
        var connection = new Connection();
        var id = new Argument<string>("command-id") { Description = "The command's id" };
        var logs = new Command("logs", "Print ffmpeg's output of a command") { id };
        connection.AddTo(logs);
        logs.SetAction((parse, ct) => Guard(cli, connection, parse, ct: ct, action: async (client, _, ct) =>
        {
            cli.Out.Profile.Out.Writer.Write(await client.GetLogAsync(parse.GetValue(id)!, ct));
            return Ok;
        }));
        return logs;
    }

    private static Command BuildCancel(CliContext cli)
    {
        var connection = new Connection();
        var id = new Argument<string>("command-id") { Description = "The command's id" };
        var cancel = new Command("cancel", "Cancel a queued or running command") { id };
        connection.AddTo(cancel);
        cancel.SetAction((parse, ct) => Guard(cli, connection, parse, ct: ct, action: async (client, _, ct) =>
        {
            var result = await client.CancelAsync(parse.GetValue(id)!, ct);
            cli.Out.MarkupLine($"Command {result.CommandId}: {StatusMarkup(result.Status)} {Markup.Escape(result.ErrorStatus ?? "")}");
            return Ok;
        }));
        return cancel;
    }

    // ---- plumbing ----

    /// <summary>The <c>--server</c> and <c>--key</c> options every client command has.</summary>
    private sealed class Connection
    {
        public Option<string?> Server { get; } = new("--server")
        {
            Description = $"The server's base URL [default: ${ServerVariable}, else {DefaultServer}]",
        };

        public Option<string?> Key { get; } = new("--key") { Description = $"API key [default: ${KeyVariable}]" };

        public void AddTo(Command command)
        {
            command.Options.Add(Server);
            command.Options.Add(Key);
        }
    }

    /// <summary>
    /// Resolves server and key, builds the client, runs <paramref name="action"/> and turns every expected failure into one
    /// line on stderr and an exit code: people see what went wrong, never a stack trace.
    /// </summary>
    private static async Task<int> Guard(CliContext cli, Connection connection, ParseResult parse,
        Func<RenditionClient, Uri, CancellationToken, Task<int>> action, CancellationToken ct)
    {
        var serverText = NonEmpty(parse.GetValue(connection.Server)) ?? NonEmpty(cli.Environment(ServerVariable)) ?? DefaultServer;
        if (!Uri.TryCreate(serverText, UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
        {
            return Fail(cli, Usage, $"the server '{serverText}' is not an http(s) URL (--server or ${ServerVariable}).");
        }
        var key = NonEmpty(parse.GetValue(connection.Key)) ?? NonEmpty(cli.Environment(KeyVariable));
        if (key is null)
        {
            return Fail(cli, Usage, $"no API key: pass --key KEY or set {KeyVariable} (make run prints one, and keeps it in data/dev-api-key).");
        }
        // No overall timeout: uploads and downloads take as long as they take, and long polls and the event stream are meant
        // to stay open. A server that is not there fails fast on connect; Ctrl+C ends everything else.
        // Ctrl+C cancels the work in hand (for run: the command on the server too) and exits 130. Cancelled off the signal
        // thread: with Cancel() the awaiting code would resume, and the process end, inside the signal handler, which hangs.
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal =>
        {
            signal.Cancel = true;
            _ = interrupt.CancelAsync();
        });
        ct = interrupt.Token;
        using var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) };
        using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        var client = new RenditionClient(http, new RenditionClientOptions { BaseAddress = server, ApiKey = key });
        try
        {
            return await action(client, server, ct);
        }
        catch (RenditionApiException e) when (e.StatusCode == HttpStatusCode.Unauthorized)
        {
            return Fail(cli, Failed, $"the server refused the API key ({e.Error}: {e.Message}); check --key or {KeyVariable}.");
        }
        catch (RenditionApiException e)
        {
            var details = e.Details.Count == 0 ? "" : " (" + string.Join("; ", e.Details.Select(d => $"{d.Field}: {d.Message}")) + ")";
            return Fail(cli, Failed, $"{e.Error}: {e.Message}{details}");
        }
        catch (HttpRequestException e) when (!ct.IsCancellationRequested)
        {
            var why = e.InnerException is SocketException s ? s.Message : e.Message;
            return Fail(cli, Unreachable, $"cannot reach the server at {server}: {why} (--server or ${ServerVariable}).");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return Fail(cli, Unreachable, $"the server at {server} did not answer in time (--server or ${ServerVariable}).");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return Fail(cli, Interrupted, "interrupted.");
        }
        catch (IOException e)
        {
            return Fail(cli, Usage, e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            return Fail(cli, Usage, e.Message);
        }
    }

    private static int Fail(CliContext cli, int code, string message)
    {
        cli.Error.MarkupLine($"[red]rendition:[/] {Markup.Escape(message)}");
        return code;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static bool IsUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https";

    private static string StatusMarkup(string status) => status switch
    {
        CommandStatuses.Success => "[green]SUCCESS[/]",
        CommandStatuses.Failed => "[red]FAILED[/]",
        CommandStatuses.Processing => "[yellow]PROCESSING[/]",
        _ => Markup.Escape(status),
    };

    private static string Seconds(double? seconds) =>
        seconds is { } s ? string.Create(CultureInfo.InvariantCulture, $"{s:0.##} s") : "-";

    private static string Bytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0 / 1024:0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0 / 1024 / 1024:0.##} GiB"),
    };
}
