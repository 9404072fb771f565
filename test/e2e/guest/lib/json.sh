# shellcheck shell=bash
# json_string TEXT: TEXT as a JSON string, on stdout without a newline. Shell builtins
# only: under TCG jq costs about half a second a call, and the scenarios quote every
# command's output they report. Backslash, quote and every control character are escaped
# (\n, \r, \t, \b, \f by name, the rest as \u00XX); other bytes pass as they are (the host
# decodes the results as UTF-8). Sourced by bash (guest/lib/observe.sh,
# guest/lib/systemd-observe.sh); test/guest/json-string.test.ts checks it against JSON.parse.
json_string() {
  local s=$1 i hex c
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\r'/\\r}
  s=${s//$'\t'/\\t}
  s=${s//$'\b'/\\b}
  s=${s//$'\f'/\\f}
  if [[ $s == *[$'\x01'-$'\x1f']* ]]; then
    for i in {1..31}; do
      printf -v hex '%02x' "$i"
      printf -v c '%b' "\\x$hex"
      [[ $s == *"$c"* ]] && s=${s//"$c"/\\u00$hex}
    done
  fi
  printf '"%s"' "$s"
}
