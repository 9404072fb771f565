# shellcheck shell=bash
# Waiting without processes. Under TCG a process costs 0.05 to 0.1 s of emulated CPU, grep and
# cut as much as any: a wait that ran grep, awk and cut every 0.1 s kept one of the VM's two
# CPUs busy beside the rs-agent it was waiting for. These use bash builtins alone, but for the
# sleep between two looks. Sourced by guest/lib/observe.sh; test/guest/wait.test.ts runs them.

# file_has FILE PATTERN: whether a line of FILE matches the glob PATTERN, whole (*TEXT* for a
# line that contains TEXT). A FILE not written yet has no line.
file_has() {
  local line
  [ -r "$1" ] || return 1
  while IFS= read -r line || [ -n "$line" ]; do
    # shellcheck disable=SC2053 # the pattern is a glob on purpose
    [[ $line == $2 ]] && return 0
  done <"$1"
  return 1
}

# poll SECONDS CMD...: runs CMD every 0.1 s until it succeeds (status 0) or SECONDS have
# passed (status 1).
poll() {
  local end=$((${EPOCHREALTIME%.*} + $1))
  shift
  until "$@"; do
    ((${EPOCHREALTIME%.*} < end)) || return 1
    sleep 0.1
  done
}

# wait_for_line FILE PATTERN SECONDS: until a line of FILE matches PATTERN (status 0) or
# SECONDS have passed (status 1).
wait_for_line() { poll "$3" file_has "$1" "$2"; }

# usec TIME: an $EPOCHREALTIME value (seconds, a point, six digits) as whole microseconds, in
# the variable USEC (no subshell).
usec() {
  USEC=$((${1%.*} * 1000000 + 10#${1#*.}))
}
