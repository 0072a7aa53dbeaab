#!/usr/bin/env bash
# Build cost (BENCHMARKS.md, part 5): the 10-line program listing certificates on the crate's
# default features (build-cost/with-crate) against the same program by hand on reqwest
# (blocking, rustls on ring, webpki roots) + serde (build-cost/by-hand). Each is built cold
# (an empty target directory; sources already downloaded), --release, twice, in the order
# A B B A; the ratio is of the best times. Prints the crates compiled and the binary sizes.
#   benches/build-cost.sh [--timings]   (--timings: cargo's HTML report of each last build)
set -euo pipefail
here=$(cd "$(dirname "$0")/build-cost" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
timings=()
[ "${1:-}" = "--timings" ] && timings=(--timings)

for p in with-crate by-hand; do (cd "$here/$p" && cargo fetch --locked -q); done

declare -A best crates size
build() {
  local p=$1 target="$work/target-$1"
  rm -rf "$target"
  local start end took
  start=$(date +%s.%N)
  (cd "$here/$p" && CARGO_TARGET_DIR="$target" cargo build --release --locked "${timings[@]}" 2> "$work/$p.log")
  end=$(date +%s.%N)
  took=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  echo "  $p: $took s"
  if [ -z "${best[$p]:-}" ] || awk -v t="$took" -v b="${best[$p]}" 'BEGIN { exit !(t < b) }'; then best[$p]=$took; fi
  crates[$p]=$(grep -c '^ *Compiling ' "$work/$p.log")
  size[$p]=$(stat -c %s "$target/release/list-$p")
  if ((${#timings[@]})); then cp -r "$target/cargo-timings" "$here/$p/cargo-timings"; fi
}
echo "cold release builds ($(nproc) cores, $(rustc --version)):"
for p in with-crate by-hand by-hand with-crate; do build "$p"; done
for p in with-crate by-hand; do
  printf '%-11s best %6.1f s, %3d crates compiled, binary %9d bytes\n' "$p" "${best[$p]}" "${crates[$p]}" "${size[$p]}"
done
awk -v a="${best[with-crate]}" -v b="${best[by-hand]}" 'BEGIN { printf "ratio (with-crate / by-hand): %.2fx\n", a / b }'
