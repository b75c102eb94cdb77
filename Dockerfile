# Two images of carpvm, both running as the non-root user 65532:
#
#   docker build -t registry.example/carpvm:latest .                  # default: no file capabilities
#   docker build --target net -t registry.example/carpvm-net:latest . # node and drill witness
#
# (add --build-arg VERSION=$(git describe --tags --always --dirty)
#  --build-arg COMMIT=$(git rev-parse --short HEAD) to both).
#
# carpvm (the last stage, what a plain `docker build` makes): preflight,
# render, sim, watch --read, rollback. Its binary has no file capabilities,
# so it runs under Docker's default capabilities, or none at all
# (`docker run --cap-drop ALL`, a pod with capabilities.drop: [ALL]).
#
# carpvm-net (--target net): for what opens raw sockets, `carpvm node run`
# and the drill's witness (CAP_NET_RAW; CAP_NET_ADMIN for its VLAN filter).
# Its binary carries cap_net_raw,cap_net_admin+ep as file capabilities, so
# that it runs as non-root: the container must be granted both
# (docker run --cap-add NET_RAW --cap-add NET_ADMIN; a pod's
# securityContext.capabilities.add: [NET_RAW, NET_ADMIN]) and privilege
# escalation must stay allowed. Without them in its bounding set the kernel
# refuses to exec the binary at all ("operation not permitted"), which is
# why the default image has none. It is built on distroless's debug image,
# whose busybox sh runs `drill --command` (the default image has no shell).
#
# TestImageRunsUnderDockerDefaultCapabilities (cmd/carpvm) checks
# both stages' binaries under those bounding sets without a Docker engine.

FROM golang:1.26-bookworm AS build
ARG VERSION=dev
ARG COMMIT=unknown
RUN apt-get update && apt-get install -y --no-install-recommends libcap2-bin && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# The Makefile's build, so that the image reports the version it was
# built from (carpvm --version) exactly as a `make build` binary does.
RUN CGO_ENABLED=0 make build VERSION="$VERSION" COMMIT="$COMMIT" \
 && cp bin/carpvm bin/carpvm-net \
 && setcap cap_net_raw,cap_net_admin+ep bin/carpvm-net

FROM gcr.io/distroless/static-debian12:debug-nonroot AS net
COPY --from=build /src/bin/carpvm-net /usr/local/bin/carpvm
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/carpvm"]
CMD ["--help"]

FROM gcr.io/distroless/static-debian12:nonroot AS default
COPY --from=build /src/bin/carpvm /usr/local/bin/carpvm
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/carpvm"]
CMD ["--help"]
