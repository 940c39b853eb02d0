# The coin host with its built-in plugins, as `coin sweep emit k8s` runs it: the image it names by default is
# coin:latest, built from the repository's root with
#   podman build -t coin:latest .          (or: docker build -t coin:latest .   /   buildah bud -t coin:latest .)
# The torch backend is a build argument: BACKEND=cpu (default) or cuda-linux (TorchSharp-cuda-linux, which the NuGet
# feed must serve; see docs/guide/getting-started.md). In the container the user-level cache is on the work volume
# (/work/.cache/coin), so every cell of a sweep shares generated data and base models.

ARG DOTNET_VERSION=10.0

# Stage 1: build the host and the plugins (artifacts/coin/Release holds coin.dll and plugins/).
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
ARG BACKEND=cpu
WORKDIR /src
COPY . .
RUN dotnet build src/Coin.Host/Coin.Host.csproj -c Release -p:CoinTorchBackend=${BACKEND} --nologo \
 && cp -r artifacts/coin/Release /opt/coin

# Stage 2: the .NET runtime (with ICU and libstdc++, which the host and libtorch need; libtorch's OpenMP runtime
# ships in the TorchSharp package) and the built tree.
FROM mcr.microsoft.com/dotnet/runtime:${DOTNET_VERSION}
COPY --from=build /opt/coin /opt/coin
# jemalloc: the host re-executes itself under it where it is installed, 2-3x faster training steps at the 7B's widths
# (docs/performance.md, "The native allocator").
RUN apt-get update && apt-get install -y --no-install-recommends libjemalloc2 && rm -rf /var/lib/apt/lists/*
RUN printf '#!/bin/sh\nexec dotnet /opt/coin/coin.dll "$@"\n' > /usr/local/bin/coin \
 && chmod +x /usr/local/bin/coin
ENV COIN_HOME=/work/.cache/coin
WORKDIR /work
ENTRYPOINT ["coin"]
CMD ["--help"]
