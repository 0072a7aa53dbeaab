#!/usr/bin/env bash
# Builds every path of README.md as a fresh cargo project from only what README.md shows, as a
# new user would: its Cargo.toml lines and its code, the crate by path. Native paths are run
# against `cf-mtls serve-fake`; wasm paths are built for their target. A snippet that lacks a
# dependency, or no longer compiles or runs, fails the script.
#
# The convention (also in CONTRIBUTING.md): an HTML comment on the line right before a fenced
# block names the path and the file the block is (part of):
#
#   <!-- path: NAME, file: Cargo.toml[, target: TRIPLE] -->   a ```toml block
#   <!-- path: NAME, file: src/main.rs -->                    a ```rust block
#
# - Cargo.toml blocks are appended to the `[package]` of `cargo new`: lines before any
#   `[section]` header are `[dependencies]`, and a header (`[dev-dependencies]`) starts its own
#   section. The `cloudflare-mtls` line gets `path = "<this checkout>"`, its version and
#   features kept.
# - Any other file (src/main.rs, src/lib.rs, src/bin/X.rs, examples/X.rs, tests/X.rs) is
#   written as given; blocks naming the same file are joined in order.
# - `target: TRIPLE` (on any of the path's tags) builds the path for TRIPLE instead of running
#   it. Otherwise every program the README gives is run, and must exit 0: src/main.rs and
#   src/bin/X.rs (`cargo run`), examples/X.rs (`cargo run --example`), tests/X.rs and
#   src/lib.rs (`cargo test`), with a fresh fake's CLOUDFLARE_BASE_URL, CLOUDFLARE_API_TOKEN
#   and CLOUDFLARE_ACCOUNT_ID exported (the lines `cf-mtls serve-fake` prints) and a CA
#   certificate as `ca.pem` in the project's folder.
#
# Usage: .ci/readme-paths.sh [README [NAME...]]: README.md of this checkout by default, every
# path or only those named. Uses
# CARGO_TARGET_DIR if set, else this checkout's target/: the projects share it, and each starts
# from this checkout's Cargo.lock (cargo adds what it lacks), so the crates already built are
# reused instead of the newest versions being downloaded and built for every path.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
readme="$(realpath "${1:-$repo/README.md}")"
shift || true
only=" $* "
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

work="$(mktemp -d)"
mkdir -p "$work/files" "$work/targets" "$work/projects"
fake_pid=
cleanup() {
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# 1. The tagged blocks, into $work/files/NAME/FILE; $work/targets/NAME holds a path's target.
awk -v out="$work" '
  function fail(msg) { printf "%s:%d: %s\n", FILENAME, NR, msg > "/dev/stderr"; failed = 1; exit 1 }
  /^<!-- path: .* -->$/ {
    tag = $0; sub(/^<!-- /, "", tag); sub(/ -->$/, "", tag)
    name = ""; file = ""; target = ""
    n = split(tag, parts, /, */)
    for (i = 1; i <= n; i++) {
      if (match(parts[i], /^path: */)) name = substr(parts[i], RLENGTH + 1)
      else if (match(parts[i], /^file: */)) file = substr(parts[i], RLENGTH + 1)
      else if (match(parts[i], /^target: */)) target = substr(parts[i], RLENGTH + 1)
      else fail("unknown key in a path tag: \"" parts[i] "\"")
    }
    if (name !~ /^[a-z0-9][a-z0-9-]*$/) fail("a path name is lowercase letters, digits and -, not \"" name "\"")
    if (file !~ /^(Cargo\.toml|(src|examples|tests)\/[A-Za-z0-9_\/-]+\.rs)$/) fail("not a file a path can have: \"" file "\" (Cargo.toml, src/..., examples/... or tests/....rs)")
    if (target !~ /^[a-z0-9_.-]*$/) fail("not a target triple: \"" target "\"")
    pending = 1; next
  }
  pending {
    pending = 0; prev = $0
    if (file == "Cargo.toml" && $0 !~ /^```toml/) fail("a path tag for Cargo.toml must be right before a ```toml block")
    if (file != "Cargo.toml" && $0 !~ /^```rust/) fail("a path tag for " file " must be right before a ```rust block")
    dest = out "/files/" name "/" file
    system("mkdir -p \"$(dirname \"" dest "\")\"")
    if (target != "") print target >> (out "/targets/" name)
    inblock = 1; blocks++; next
  }
  inblock && /^```/ { inblock = 0; close(dest); next }
  inblock { print >> dest; next }
  # Every other Rust block is a fragment, said so, or it would go unchecked here.
  /^```rust/ && prev != "<!-- not a path -->" { fail("a ```rust block with no <!-- path: NAME, file: FILE --> tag (or <!-- not a path --> for a fragment)") }
  { prev = $0 }
  END {
    if (failed) exit 1
    if (inblock) { print FILENAME ": a tagged block is never closed" > "/dev/stderr"; exit 1 }
    if (!blocks) { print FILENAME ": no <!-- path: NAME, file: FILE --> tag" > "/dev/stderr"; exit 1 }
  }
' "$readme"

# 2. The fake: the CLI, built if needed (a no-op after the test command).
cargo build --quiet -p cf-mtls --manifest-path "$repo/Cargo.toml"
cf_mtls="$CARGO_TARGET_DIR/debug/cf-mtls"
ca_pem="$repo/tests/fixtures/openapi-example-ca.pem"

start_fake() {
  "$cf_mtls" serve-fake --listen 127.0.0.1:0 >"$work/fake.out" 2>"$work/fake.err" &
  fake_pid=$!
  for _ in $(seq 100); do
    if grep -q '^export CLOUDFLARE_ACCOUNT_ID=' "$work/fake.out"; then return; fi
    sleep 0.1
  done
  echo "cf-mtls serve-fake did not start:" >&2
  cat "$work/fake.out" "$work/fake.err" >&2
  exit 1
}
stop_fake() { kill "$fake_pid" 2>/dev/null || true; wait "$fake_pid" 2>/dev/null || true; fake_pid=; rm -f "$work/fake.err"; }

# One step of a path; a failure says which, with the fake's log. A program that hangs fails
# instead of stalling CI.
run() {
  echo "   \$ $*"
  if ! timeout 300 "$@"; then
    echo "path $name: \`$*\` failed" >&2
    if [ -s "$work/fake.err" ]; then echo "the fake's log:" >&2; cat "$work/fake.err" >&2; fi
    exit 1
  fi
}

for name in "$@"; do
  if [ ! -d "$work/files/$name" ]; then echo "$readme has no path named $name" >&2; exit 1; fi
done

# 3. Each path as its own project, built, then run against a fresh fake or built for its target.
paths=0
wasm=0
for dir in "$work"/files/*/; do
  name="$(basename "$dir")"
  if [ "$only" != "  " ] && [[ "$only" != *" $name "* ]]; then continue; fi
  paths=$((paths + 1))
  target=
  if [ -f "$work/targets/$name" ]; then target="$(sort -u "$work/targets/$name")"; fi
  if [ "$(wc -l <<<"$target")" -gt 1 ]; then echo "path $name: its tags name several targets" >&2; exit 1; fi
  echo "-- path $name${target:+, for $target}: $(cd "$dir" && find . -type f | sed 's|^\./||' | sort | paste -sd ' ')"
  if [ ! -f "$dir/Cargo.toml" ]; then echo "path $name: no <!-- path: $name, file: Cargo.toml --> block" >&2; exit 1; fi
  if ! grep -qE '^cloudflare-mtls *=' "$dir/Cargo.toml"; then
    echo "path $name: its Cargo.toml lines do not depend on cloudflare-mtls" >&2; exit 1
  fi
  if [ "$(find "$dir" -name '*.rs' | wc -l)" -eq 0 ]; then echo "path $name: no code" >&2; exit 1; fi

  project="$work/projects/$name"
  kind=--bin
  if [ -f "$dir/src/lib.rs" ] && [ ! -f "$dir/src/main.rs" ]; then kind=--lib; fi
  cargo new --quiet --vcs none "$kind" --name "readme-$name" "$project"
  # The README's lines go after `cargo new`'s own, which end with an empty [dependencies].
  if ! tail -n 1 "$project/Cargo.toml" | grep -qx '\[dependencies\]'; then printf '\n[dependencies]\n' >>"$project/Cargo.toml"; fi
  # The crate from this checkout: `"0.1"` or `{ version = "0.1", ... }` gets a path beside its version.
  sed -E \
    -e "s|^cloudflare-mtls *= *\"([^\"]*)\"|cloudflare-mtls = { version = \"\\1\", path = \"$repo\" }|" -e t \
    -e "s|^cloudflare-mtls *= *\\{|cloudflare-mtls = { path = \"$repo\",|" \
    "$dir/Cargo.toml" >>"$project/Cargo.toml"
  (cd "$dir" && tar cf - --exclude=./Cargo.toml .) | (cd "$project" && tar xf -)
  cp "$repo/Cargo.lock" "$project/Cargo.lock"

  cd "$project"
  if [ -n "$target" ]; then
    wasm=$((wasm + 1))
    run cargo build --quiet --target "$target"
  else
    # The library and programs; `cargo test` below builds the tests. (Not --all-targets: that
    # compiles every program a second time, as a test.)
    if [ -d "$dir/examples" ]; then run cargo build --quiet --bins --examples; else run cargo build --quiet; fi
    cp "$ca_pem" ca.pem
    start_fake
    (
      unset CLOUDFLARE_API_TOKEN CLOUDFLARE_API_KEY CLOUDFLARE_EMAIL CLOUDFLARE_ACCOUNT_ID CLOUDFLARE_BASE_URL CLOUDFLARE_API_BASE_URL
      # As a user pastes them: the `export NAME=VALUE` lines the fake prints.
      while read -r line; do export "${line#export }"; done < <(grep -E '^export CLOUDFLARE_[A-Z_]+=[^ ]+$' "$work/fake.out")
      if [ -f "$dir/src/main.rs" ]; then run cargo run --quiet --bin "readme-$name"; fi
      for f in "$dir"/src/bin/*.rs; do
        if [ -f "$f" ]; then run cargo run --quiet --bin "$(basename "$f" .rs)"; fi
      done
      for f in "$dir"/examples/*.rs; do
        if [ -f "$f" ]; then run cargo run --quiet --example "$(basename "$f" .rs)"; fi
      done
      if [ -f "$dir/src/lib.rs" ] || [ -d "$dir/tests" ]; then run cargo test --quiet; fi
    )
    stop_fake
  fi
  cd "$work"
done
echo "all $paths README paths built as fresh projects: $((paths - wasm)) run against cf-mtls serve-fake, $wasm for their wasm target"
