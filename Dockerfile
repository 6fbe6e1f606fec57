# syntax=docker/dockerfile:1
#
# Builds the codearts_check_exporter image in two stages: a Go toolchain stage
# that runs `make release`, so that the image holds the very binary the
# release build makes, and a distroless final stage that holds nothing but
# the static binary, CA certificates and a non-root user.
#
#   docker build \
#     --build-arg VERSION="$(cat VERSION)" \
#     --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg BRANCH="$(git rev-parse --abbrev-ref HEAD)" \
#     -t "$REGISTRY/codearts-check-exporter:v$(cat VERSION)" .
#
# No registry publishes the image: push it to yours (deploy/README.md).

# Keep in step with the go directive in go.mod (a test checks it). The image
# has make.
FROM golang:1.26 AS build

WORKDIR /src

# Download modules in their own layer so that source changes do not
# invalidate it.
COPY go.mod go.sum ./
RUN go mod download

COPY . .

# Version information for github.com/prometheus/common/version. The Makefile
# derives it from VERSION and git, but git's data is not in the build
# context (see .dockerignore), so it comes in as build arguments.
ARG VERSION=0.0.0
ARG REVISION=unknown
ARG BRANCH=unknown

RUN make release VERSION="${VERSION}" REVISION="${REVISION}" BRANCH="${BRANCH}"

# static-debian12 has CA certificates (the exporter talks HTTPS to Huawei
# Cloud), tzdata and a "nonroot" user (65532), and no shell or package
# manager: the binary is static, it needs nothing else.
FROM gcr.io/distroless/static-debian12:nonroot

# make release writes $(BINARY) in the working directory.
COPY --from=build /src/codearts_check_exporter /bin/codearts_check_exporter

USER 65532:65532
EXPOSE 10139

# Mount the configuration at this path, and secrets (password_file,
# secret_key_file, token_file) as files under
# /etc/codearts_check_exporter/secrets/. Extra flags given to `docker run` or
# as Kubernetes args are appended; do not repeat --config.file.
ENTRYPOINT ["/bin/codearts_check_exporter", "--config.file=/etc/codearts_check_exporter/config.yml"]
