#!/usr/bin/env bash
# Checks Cargo.lock against the RustSec advisories without the network: the advisory database is
# the snapshot in ../shared/rustsec (or $RUSTSEC_DB), which cargo-audit reads as a git repository,
# so a throw-away repository is made from it. Installs cargo-audit from crates.io when missing.
# Exits non-zero on a vulnerability; unmaintained and yanked crates are printed as warnings.
set -euo pipefail
cd "$(dirname "$0")/.."

snapshot=${RUSTSEC_DB:-../shared/rustsec}
if [ ! -d "$snapshot/crates" ]; then
  echo "audit: no advisory snapshot in $snapshot (expected $snapshot/crates/<crate>/RUSTSEC-*.md)." >&2
  echo "audit: set RUSTSEC_DB to a copy of the RustSec advisory-db." >&2
  exit 1
fi
if ! command -v cargo-audit >/dev/null 2>&1; then
  echo "audit: installing cargo-audit (once, from crates.io)"
  cargo install --locked cargo-audit
fi

db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
cp -r "$snapshot"/. "$db"/
chmod -R u+w "$db"
git -C "$db" init -q
git -C "$db" add -A
git -C "$db" -c user.name=audit -c user.email=audit@localhost commit -q -m "RustSec advisory snapshot"

# --stale: the snapshot is older than cargo-audit's 90-day freshness rule by design.
cargo audit --db "$db" --no-fetch --stale "$@"
