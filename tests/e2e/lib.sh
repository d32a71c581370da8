# Shared helpers of the end-to-end scripts (source it): each check prints "ok - NAME" or
# "not ok - NAME" with the evidence indented, and `finish` prints "N passed, N failed" and sets
# the script's exit status.
passed=0
failed=0
ok() {
  echo "ok - $1"
  passed=$((passed + 1))
}
not_ok() {
  echo "not ok - $1"
  failed=$((failed + 1))
  shift
  for line in "$@"; do printf '%s\n' "$line" | sed 's/^/#   /'; done
}
# check NAME COMMAND...: ok if the command succeeds; its output is shown on failure.
check() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "$out"; fi
}
# expect_rc NAME WANT GOT LOG: the exit code of a command, with the tail of its log on failure.
expect_rc() {
  if [[ "$3" == "$2" ]]; then ok "$1"; else not_ok "$1" "exit code $3, expected $2" "$(tail -n 15 "$4")"; fi
}
# expect_in NAME TEXT FILE: FILE contains TEXT (fixed string).
expect_in() {
  if grep -qF -- "$2" "$3"; then ok "$1"; else not_ok "$1" "missing: $2" "$(tail -n 15 "$3")"; fi
}
finish() {
  echo "$passed passed, $failed failed"
  ((failed == 0))
}
