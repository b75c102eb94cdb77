# The image docs/deploy/kubernetes/cronjob.yaml runs: carpvm alone, as a non-root user.
#
#   docker build --build-arg VERSION=$(git describe --tags --always --dirty) \
#     --build-arg COMMIT=$(git rev-parse --short HEAD) -t registry.example/carpvm:latest .
#
# The drill's witness opens raw sockets (CAP_NET_RAW; CAP_NET_ADMIN for its
# VLAN filter): the binary carries them as file capabilities, effective
# when the container is granted them (the CronJob's capabilities.add) and
# privilege escalation is not forbidden.

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
 && setcap cap_net_raw,cap_net_admin+ep bin/carpvm

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/bin/carpvm /usr/local/bin/carpvm
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/carpvm"]
CMD ["--help"]
