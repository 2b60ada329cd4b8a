# Rendition: one image for every role — `serve` (API + workers, or API only with RENDITION_WORKERS=0) and `worker`.
#   docker build -t rendition .
#   docker run -p 8080:8080 -v rendition-data:/data -e RENDITION_BOOTSTRAP_API_KEY=ffsk_... \
#     --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined rendition
# The three security options let bubblewrap (the sandbox around every ffmpeg run) create its namespaces inside the
# container; without them the server refuses to start unless RENDITION_SANDBOX=off (see docs/deploy.md).
# .NET 10 ships no Debian images: the runtime is the default Ubuntu 24.04 (noble) one, ffmpeg and bubblewrap from its apt,
# with libseccomp2 for the seccomp filter the sandbox loads.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Rendition.Server -c Release -o /out --nologo

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble
RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg bubblewrap libseccomp2 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /data && chown app:app /data
WORKDIR /app
COPY --from=build /out .
# Listen on every interface (the server's own default is localhost only); set RENDITION_PUBLIC_URL to the address
# clients use, since storage URLs are built from it.
ENV ASPNETCORE_URLS=http://0.0.0.0:8080 \
    RENDITION_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
# The image's unprivileged user (uid 1654); bubblewrap needs no setuid bit, only user namespaces.
USER app
ENTRYPOINT ["dotnet", "rendition.dll"]
CMD ["serve"]
