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
# needs none of them. Then the other tiers one after the other: each VM keeps about one core
# busy (TCG emulates its two CPUs) and the kernel tier about one and a half, so the CPU, not
# waiting, bounds them, and side by side they took longer than one after the other (the systemd
# VM beside the kernel tier, both VMs beside each other) or held the drain behind keepalived
# past what its requests allow (bench/README.md, the test tiers).
start=$SECONDS
rc=0
bash test/install-deps.sh --with-e2e &
deps=$!
npm ci
npm run build
tier lint npm run lint || rc=1
tier unit unit_as_nobody || rc=1
wait "$deps"
tier kernel "${vitest[@]}" --project kernel || rc=1
tier packaging "${vitest[@]}" --project packaging || rc=1
tier e2e-lvs "${vitest[@]}" --config vitest.e2e.config.ts test/e2e/lvs-cluster.test.ts || rc=1
tier e2e-systemd "${vitest[@]}" --config vitest.e2e.config.ts test/e2e/systemd-units.test.ts || rc=1

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
