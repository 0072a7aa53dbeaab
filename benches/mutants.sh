#!/usr/bin/env bash
# Mutation testing of the decision modules (TESTING.md): cargo-mutants on each MODULE, with
# only the tests that exercise it (a mutant then costs seconds, not the whole suite's minutes),
# and a failure for any surviving mutant that benches/mutants-explained.txt does not explain.
#
#   benches/mutants.sh src/retry.rs src/envelope.rs      (or `all`: every module of the table)
#
# Needs cargo-mutants (`cargo install cargo-mutants --locked`, 27.1) and python3. Settings:
#   MUTANTS_JOBS     mutants built and tested at once (default 1: the machine is shared)
#   MUTANTS_TIMEOUT  seconds a mutant's tests may take before it counts as a timeout (60)
#   MUTANTS_NICE     the niceness the run gets (15)
#   CARGO_TARGET_DIR default target/mutants: one of its own, since the scratch copy's crate
#                    has the workspace's artifact names and would overwrite its builds. With
#                    MUTANTS_JOBS > 1 it is unset: parallel scratch copies sharing one would
#                    overwrite each other's mutants (each then builds its dependencies once).
# Each module's cargo-mutants output is kept in target/mutants-out/<module>/mutants.out.
#
# A survivor is matched by file, function and mutation, not by line, so unrelated edits do
# not stale the list; a mutation that occurs more than once in a function (two `>` in one
# expression) is told apart by its order there, "(2 of 3)". Timeouts (a mutant that makes
# the tests hang) count as caught; they are listed.
set -euo pipefail
cd "$(dirname "$0")/.."

# Module -> what cargo builds and runs for it: features and test targets, as cargo test's
# own flags (given to the build too, so only these targets are compiled for each mutant).
declare -A selection=(
  [src/retry.rs]="--lib"
  [src/envelope.rs]="--lib --test=envelope_fixtures"
  [src/pacing.rs]="--lib"
  [src/budget.rs]="--lib"
  [src/plan.rs]="--lib --test=plan_model"
  [src/plan/actions.rs]="--lib --test=plan_model"
  [src/hostname.rs]="--lib"
  [src/pager.rs]="--lib --test=properties"
  [src/folder.rs]="--lib"
  [src/x509_check.rs]="--lib --test=x509_openssl"
  [src/pem_check.rs]="--features=fake --lib --test=x509_openssl --test=pem_secrets"
  [src/id.rs]="--lib --test=properties"
  [src/credentials.rs]="--lib --test=client_closures"
  [src/duration.rs]="--lib"
)

explained_file=benches/mutants-explained.txt
out_root=target/mutants-out
jobs="${MUTANTS_JOBS:-1}"
if ((jobs > 1)); then
  unset CARGO_TARGET_DIR
else
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/mutants}"
fi
timeout="${MUTANTS_TIMEOUT:-60}"
niceness="${MUTANTS_NICE:-15}"

usage() {
  echo "usage: $0 MODULE... | all   (modules: ${!selection[*]})" >&2
  exit 2
}
(($#)) || usage
modules=("$@")
if [ "$1" = all ]; then
  mapfile -t modules < <(printf '%s\n' "${!selection[@]}" | sort)
fi
for module in "${modules[@]}"; do
  [ -n "${selection[$module]:-}" ] || { echo "no test selection for $module" >&2; usage; }
done
command -v cargo-mutants >/dev/null || { echo "cargo-mutants is not installed: cargo install cargo-mutants --locked" >&2; exit 2; }
[ -f "$explained_file" ] || { echo "$explained_file is missing" >&2; exit 2; }

failed=0
for module in "${modules[@]}"; do
  stem=$(basename "$module" .rs)
  out="$out_root/$stem"
  rm -rf "$out"
  mkdir -p "$out"
  cargo_args=()
  for arg in ${selection[$module]}; do cargo_args+=(-C "$arg"); done
  echo "==> $module: cargo mutants -f $module ${selection[$module]}"
  start=$SECONDS
  status=0
  nice -n "$niceness" cargo mutants -j "$jobs" --timeout "$timeout" -f "$module" -o "$out" \
    "${cargo_args[@]}" || status=$?
  took=$((SECONDS - start))
  # 0: all caught; 2: some missed; 3: some timed out. Anything else (1 usage, 4 the
  # unmutated tree fails its tests) is a failure of the run itself.
  case $status in
    0 | 2 | 3) ;;
    *)
      echo "cargo mutants failed on $module (exit $status): see $out/mutants.out" >&2
      failed=1
      continue
      ;;
  esac
  python3 - "$module" "$out/mutants.out" "$explained_file" "$took" <<'PY' || failed=1
import collections, json, re, sys

module, out, explained_file, took = sys.argv[1:]

def key_of(name):
    # "src/retry.rs:251:31: replace / with * in seconds" -> "src/retry.rs: replace / with * in seconds"
    return re.sub(r"^([^:]+):\d+:\d+: ", r"\1: ", name)

# Each mutant's key: its name without line and column, with its order among its twins.
mutants = json.load(open(f"{out}/mutants.json"))
position = lambda m: (m["span"]["start"]["line"], m["span"]["start"]["column"])
twins = collections.defaultdict(list)
for m in sorted(mutants, key=position):
    twins[key_of(m["name"])].append(m["name"])
keys = {}
for key, names in twins.items():
    for i, name in enumerate(names, 1):
        keys[name] = key if len(names) == 1 else f"{key} ({i} of {len(names)})"

def listed(kind):
    try:
        return [line.strip() for line in open(f"{out}/{kind}.txt") if line.strip()]
    except FileNotFoundError:
        return []

missed, caught, unviable, timeouts = (listed(k) for k in ("missed", "caught", "unviable", "timeout"))
explained = {}
for line in open(explained_file):
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        continue
    key, sep, why = line.partition("  # ")
    if not sep or not why.strip():
        sys.exit(f"{explained_file}: no reason (`  # why`) on: {line}")
    explained[key.strip()] = why.strip()

viable = len(caught) + len(missed) + len(timeouts)
score = 100 * (len(caught) + len(timeouts)) / viable if viable else 100
print(
    f"{module}: {len(mutants)} mutants, {len(caught)} caught, {len(missed)} missed, "
    f"{len(unviable)} unviable, {len(timeouts)} timeouts; {score:.1f}% of the viable caught; {took} s"
)
for name in timeouts:
    print(f"  timeout (counts as caught): {keys.get(name, key_of(name))}")
unexplained = []
for name in missed:
    key = keys.get(name, key_of(name))
    if key in explained:
        print(f"  explained: {key}  # {explained[key]}")
    else:
        unexplained.append((name, key))
surviving = {keys.get(name, key_of(name)) for name in missed}
for key in explained:
    if key.startswith(f"{module}: ") and key not in surviving:
        print(f"  note: no longer survives, its line in {explained_file} can go: {key}")
for name, key in unexplained:
    print(f"  UNEXPLAINED SURVIVOR ({name}); kill it with a test, or add to {explained_file}:")
    print(f"    {key}  # why no test can tell it apart, or why none is worth it")
sys.exit(1 if unexplained else 0)
PY
done
exit $failed
