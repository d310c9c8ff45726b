#!/usr/bin/env bash
# Installs what the fleet needs on a Debian machine (as root), idempotently, and starts the local
# services the tests use. Called by `make setup`; safe to run again.
set -euo pipefail

packages=(
  # Build: bindgen for tesseract-sys, C toolchain, pkg-config.
  clang libclang-dev pkg-config build-essential libtesseract-dev libleptonica-dev
  # Run: headless Chromium (portals, PDF), tesseract and its data, the MRZ font, fonts with accents.
  chromium tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra fonts-ocr-b fonts-dejavu-core fonts-liberation2
  # Tools and services used by the demo and the tests.
  poppler-utils redis-server postgresql curl jq tini ca-certificates procps
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: Debian packages already installed"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found. Install Rust 1.88 or newer (https://rustup.rs) and run again." >&2
  exit 1
fi
