#!/usr/bin/env bash
# npm run test:all, which .ci/run runs on a fresh clone, as root: the system packages of every
# tier with one apt-get update, one build, the format and type checks and every tier (the
# first ones beside apt: below). Each line of output is prefixed with its tier; a table of the
# tiers' times (with the load average: the machine may be shared) ends the run.
# The unit tier runs as nobody, which proves it needs no root (npm test's promise).
set -euo pipefail
cd "$(dirname "$0")/.."

summary=$(mktemp)
logs=$(mktemp -d)
trap 'rm -rf "$summary" "$logs"' EXIT
vitest=(node node_modules/vitest/vitest.mjs run)

# tier NAME COMMAND...: runs one tier with its lines prefixed by [NAME], notes how it went
# and how long it took (with the load average at its end: the machine may be shared).
tier() {
  local name=$1 start=$SECONDS rc=0
  shift
  "$@" 2>&1 | sed -u "s/^/[$name] /" | tee "$logs/$name" || rc=$?
  printf '%-12s %-7s %5d s   load %s\n' "$name" "$([ "$rc" = 0 ] && echo passed || echo FAILED)" \
    $((SECONDS - start)) "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$summary"
  return "$rc"
}

# The directories of PATH nobody may search, as an ordinary user's PATH would be: root's often
# has some under /root, where a command looked up through them fails with EACCES, not ENOENT.
# shellcheck disable=SC2317 # run through unit_as_nobody
searchable_path() {
  local dir kept=()
  local IFS=:
  for dir in $PATH; do
    setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$dir" && kept+=("$dir")
  done
  echo "${kept[*]}"
}

# The unit tier as nobody, in a home of its own (vitest's runner config loader writes nothing
# into the checkout, which nobody cannot write). A checkout that nobody cannot read (under
# /root, say) runs it as root, and the table says so.
# shellcheck disable=SC2317 # run through tier's "$@"
unit_as_nobody() {
  local home rc=0
  local as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
  # By its absolute path, as node opens it: a path relative to the checkout reads even when
  # a directory above it is one nobody may search (a clone in a 0700 temp dir).
  if ! "${as_nobody[@]}" test -r "$PWD/node_modules/vitest/vitest.mjs"; then
    echo "nobody cannot read $PWD: the unit tier runs as $(id -un)"
    echo "unit        ran as $(id -un): nobody cannot read $PWD" >>"$summary"
    "${vitest[@]}" --project unit --project unit-isolated
    return
  fi
  home=$(mktemp -d)
  chown 65534:65534 "$home"
  "${as_nobody[@]}" env HOME="$home" PATH="$(searchable_path)" "${vitest[@]}" --configLoader runner --project unit --project unit-isolated ||
    rc=$?
  rm -rf "$home"
  return "$rc"
}

# Every tier, each run even when one before it failed. The system packages download and
# install while npm installs, builds, checks the format and types and runs the unit tier, which
# needs none of them. The machine's CPU bounds the rest (bench/README.md, the test tiers):
# - the LVS VM alone: its drain behind keepalived and its ARP watch have real-time bounds, and
#   anything of size beside it broke them; alone it keeps about 1.4 of the 2 cores busy;
# - then the systemd VM, its two emulated CPUs run by one host thread (TCG's thread=single:
#   the guest still has two CPUs, emulated in turns), beside the kernel and packaging tiers at
#   a lower priority (nice 10), which take the other core. The systemd scenario's bounds are
#   generous (a repair within 30 s); the kernel tier passes beside two CPU hogs. With the VM's
#   two CPUs on two host threads instead, each emulated CPU that loses its host core leaves the
#   other spinning on the locks it holds: the VM took 1.3 times the CPU and 1.6 times as long.
start=$SECONDS
rc=0
bash test/install-deps.sh --with-e2e &
deps=$!
npm ci
npm run build
tier lint npm run lint || rc=1
tier unit unit_as_nobody || rc=1
wait "$deps"
tier e2e-lvs "${vitest[@]}" --config vitest.e2e.config.ts test/e2e/lvs-cluster.test.ts || rc=1
(
  lane=0
  tier kernel nice -n 10 "${vitest[@]}" --project kernel || lane=1
  tier packaging nice -n 10 "${vitest[@]}" --project packaging || lane=1
  exit "$lane"
) &
host_tiers=$!
E2E_ACCEL=tcg,thread=single tier e2e-systemd "${vitest[@]}" --config vitest.e2e.config.ts test/e2e/systemd-units.test.ts ||
  rc=1
wait "$host_tiers" || rc=1

# A failed tier's failures again, last, where a reader of only the output's tail sees them:
# vitest's report of each failed test (its name, the assertion and the lines around it).
for log in "$logs"/*; do
  grep -Eq 'Failed (Tests|Suites) [0-9]|Unhandled Error' "$log" || continue
  echo
  echo "==== the failures of $(basename "$log") again ===="
  sed -En '/Failed (Tests|Suites) [0-9]|Unhandled Error/,/Test Files /p' "$log" | head -n 300
done

echo
echo "tier         result     time"
cat "$summary"
printf '%-12s %-7s %5d s   load %s\n' "all tiers" "$([ "$rc" = 0 ] && echo passed || echo FAILED)" \
  $((SECONDS - start)) "$(cut -d' ' -f1-3 /proc/loadavg)"
exit "$rc"
