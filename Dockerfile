# monopco: multi-stage build, Debian runtime with Chromium and tesseract, non-root user.
# (Docker does not run on the machines this project is built on: this file is kept correct by
# reading; see the README.)

FROM rust:1.88-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends clang libclang-dev pkg-config libtesseract-dev libleptonica-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --locked --release -p worker --bin monopco \
 && cp target/release/monopco /usr/local/bin/monopco

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates tini chromium fonts-dejavu-core fonts-liberation2 fonts-ocr-b \
      tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra libtesseract5 liblept5 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/monopco --uid 10001 monopco
COPY --from=build /usr/local/bin/monopco /usr/local/bin/monopco
USER monopco
WORKDIR /var/lib/monopco
ENV MONOPCO_DATA_DIR=/var/lib/monopco/data \
    MONOPCO_SERVER__ADDR=0.0.0.0:8080 \
    OMP_THREAD_LIMIT=1
VOLUME ["/var/lib/monopco/data"]
EXPOSE 8080
# tini reaps Chromium's helper processes, which become orphans when our binary is PID 1.
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/monopco"]
CMD ["serve"]
