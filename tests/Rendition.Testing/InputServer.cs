using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Rendition.Testing;

/// <summary>A real HTTP server on loopback that serves the test media as command inputs.</summary>
public sealed class InputServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InputServer(WebApplication app, string root, int port)
    {
        _app = app;
        Root = root;
        BaseUrl = $"http://127.0.0.1:{port}";
    }

    public string Root { get; }

    public string BaseUrl { get; }

    public string Url(string name) => $"{BaseUrl}/files/{name}";

    public static async Task<InputServer> StartAsync(string root)
    {
        var port = LoopbackPort.Free();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapGet("/files/{name}", (string name) =>
        {
            var path = Path.Combine(root, Path.GetFileName(name));
            return File.Exists(path) ? Results.File(path, "application/octet-stream", enableRangeProcessing: true) : Results.NotFound();
        });
        app.MapGet("/status/{code:int}", (int code) => Results.StatusCode(code));
        await app.StartAsync();
        return new InputServer(app, root, port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
