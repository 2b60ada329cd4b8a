namespace Rendition.Server.Files;

/// <summary>A multipart body that is cut off or not valid multipart: the client's error (400), never a 500.</summary>
public sealed class MultipartBodyException(string message, Exception innerException) : Exception(message, innerException);

/// <summary>Reads from a multipart body, telling a malformed body (the client's fault) from everything else.</summary>
internal static class MultipartBody
{
    public static async Task<T> ReadAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return await read();
        }
        catch (Exception e) when (IsMalformed(e))
        {
            throw Malformed(e);
        }
    }

    /// <summary>
    /// A section's content whose read errors say the body is malformed (<see cref="MultipartBodyException"/>), so a consumer
    /// that knows nothing of HTTP (<see cref="FileService"/>) lets them through, and a failure of its own (a full disk) stays one.
    /// </summary>
    public static Stream Guard(Stream content) => new GuardedStream(content);

    // MultipartReader reports a missing boundary, a cut-off body or oversized headers as IOException/InvalidDataException;
    // BadHttpRequestException (an IOException too) keeps its own status, 413 for a body over the limit.
    private static bool IsMalformed(Exception e) => e is InvalidDataException || (e is IOException && e is not BadHttpRequestException);

    private static MultipartBodyException Malformed(Exception e) => new($"The upload is not a complete multipart/form-data body: {e.Message}", e);

    private sealed class GuardedStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await inner.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception e) when (IsMalformed(e))
            {
                throw Malformed(e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count)
        {
            try
            {
                return inner.Read(buffer, offset, count);
            }
            catch (Exception e) when (IsMalformed(e))
            {
                throw Malformed(e);
            }
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
