# syntax=docker/dockerfile:1
# ksfsync: one image, three commands — receiver (default), worker, ksfctl.
#   docker build -t ksfsync .
#   docker run --env-file .env -p 8080:8080 ksfsync            # receiver
#   docker run --env-file .env ksfsync worker                  # worker
# Not built or run in the development environment (no Docker engine there).

FROM golang:1.26-alpine AS build
WORKDIR /src
# Dependencies first: this layer is reused while only the code changes.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# CGO off: static binaries that need nothing from the runtime image.
ENV CGO_ENABLED=0 GOFLAGS=-trimpath
RUN go build -ldflags="-s -w" -o /out/receiver ./cmd/receiver && \
    go build -ldflags="-s -w" -o /out/worker ./cmd/worker && \
    go build -ldflags="-s -w" -o /out/ksfctl ./cmd/ksfctl

FROM alpine:3.22
# CA certificates for the vendors' HTTPS, tzdata for Asia/Shanghai, busybox wget
# for the health checks. The processes run as an unprivileged user.
RUN apk add --no-cache ca-certificates tzdata && \
    adduser -D -H -u 10001 -s /sbin/nologin ksf
COPY --from=build /out/ /usr/local/bin/
USER 10001:10001
# The receiver listens on :8080 by default (KSF_HTTP_ADDR); no ENV here, so
# the worker's environment carries no push-listener setting.
EXPOSE 8080
# Health checks are per command (the receiver answers on :8080, the worker only
# on its admin listener): see docker-compose.yml. Both serve GET /readyz.
# SIGTERM (docker stop) drains in-flight pushes / lets running tasks finish.
STOPSIGNAL SIGTERM
CMD ["receiver"]
