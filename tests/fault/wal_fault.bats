#!/usr/bin/env bats
# WAL durability under injected faults (DESIGN.md §6, §10). After every
# fault: nothing acknowledged is lost, and recovery succeeds or refuses with
# a clear message. The helper prints "acked<TAB>LSN" only after SyncUpTo.

setup() {
  TMP=$(mktemp -d)
  H=${SHARDKIT_FAULT_HELPER:?set by ctest}
}

teardown() {
  if mountpoint -q "$TMP/disk" 2>/dev/null; then umount "$TMP/disk"; fi
  rm -rf "$TMP"
}

# The highest acknowledged LSN in FILE, 0 when there is none.
last_acked() {
  local lsn
  lsn=$(tail -n 1 "$1" | cut -f 2)
  echo "${lsn:-0}"
}

@test "kill -9 at every wal failpoint loses no acknowledged record" {
  run "$H" list-failpoints
  [ "$status" -eq 0 ]
  points=$(printf '%s\n' "$output" | grep '^wal\.')
  [ "$(printf '%s\n' "$points" | wc -l)" -ge 8 ]
  for point in $points; do
    for hit in 1 3; do
      rm -rf "$TMP/d"
      rc=0
      SHARDKIT_FAILPOINTS="$point=crash@$hit" "$H" append "$TMP/d" 150 300 25 \
        >"$TMP/acked" 2>"$TMP/err" || rc=$?
      if [ "$rc" -ne 137 ]; then
        echo "$point=crash@$hit: exit $rc, want 137 (SIGKILL)"; cat "$TMP/err"; return 1
      fi
      grep -q "failpoint=$point" "$TMP/err"
      run "$H" verify "$TMP/d" "$(last_acked "$TMP/acked")"
      if [ "$status" -ne 0 ]; then echo "$point=crash@$hit: $output"; return 1; fi
    done
  done
}

@test "a malformed SHARDKIT_FAILPOINTS refuses to start with 78" {
  SHARDKIT_FAILPOINTS="wal.before-fsync=explode" run "$H" append "$TMP/d" 1
  [ "$status" -eq 78 ]
  [[ "$output" == *"unknown action 'explode'"* ]]
}

@test "fdatasync EIO (LD_PRELOAD shim) exits 70 and acknowledges nothing it could not sync" {
  rc=0
  LD_PRELOAD="$SHARDKIT_EIO_SHIM" SHARDKIT_EIO_FDATASYNC_AFTER=5 \
    "$H" append "$TMP/d" 100 >"$TMP/acked" 2>"$TMP/err" || rc=$?
  cat "$TMP/err"
  [ "$rc" -eq 70 ]
  grep -q 'fdatasync .*/wal/00000000000000000001.seg: Input/output error (errno 5)' "$TMP/err"
  grep -q 'exit=70' "$TMP/err"
  # One record per batch: exactly the five whose fdatasync succeeded were
  # acknowledged; the sixth never was.
  [ "$(wc -l <"$TMP/acked")" -eq 5 ]
  [ "$(last_acked "$TMP/acked")" -eq 5 ]
  run "$H" verify "$TMP/d" 5
  [ "$status" -eq 0 ]
}

@test "fsync EIO at start-up or while creating a segment is fatal too" {
  "$H" append "$TMP/d" 0  # create the directories without the shim
  # The first fsync is the start-up fsync of snap/.
  rc=0
  LD_PRELOAD="$SHARDKIT_EIO_SHIM" SHARDKIT_EIO_FSYNC_AFTER=0 \
    "$H" append "$TMP/d" 10 >"$TMP/acked" 2>"$TMP/err" || rc=$?
  cat "$TMP/err"
  [ "$rc" -eq 70 ]
  grep -q 'fsync directory .*/snap: Input/output error (errno 5)' "$TMP/err"
  # The second is the new segment's.
  rc=0
  LD_PRELOAD="$SHARDKIT_EIO_SHIM" SHARDKIT_EIO_FSYNC_AFTER=1 \
    "$H" append "$TMP/d" 10 >"$TMP/acked" 2>"$TMP/err" || rc=$?
  cat "$TMP/err"
  [ "$rc" -eq 70 ]
  grep -q 'fsync .*00000000000000000001.seg: Input/output error (errno 5)' "$TMP/err"
  [ ! -s "$TMP/acked" ]
  run "$H" verify "$TMP/d" 0
  [ "$status" -eq 0 ]
}

@test "fdatasync EIO injected by strace exits 70 too" {
  strace -f -qq -o /dev/null -e trace=fdatasync true 2>/dev/null || skip "strace cannot trace here"
  rc=0
  strace -f -qq -o /dev/null -e trace=fdatasync -e inject=fdatasync:error=EIO:when=4 \
    "$H" append "$TMP/d" 50 >"$TMP/acked" 2>"$TMP/err" || rc=$?
  cat "$TMP/err"
  [ "$rc" -eq 70 ]
  grep -q 'Input/output error (errno 5)' "$TMP/err"
  [ "$(last_acked "$TMP/acked")" -eq 3 ]
  run "$H" verify "$TMP/d" 3
  [ "$status" -eq 0 ]
}

@test "a full disk refuses writes cleanly, loses nothing acknowledged, and recovers" {
  mkdir "$TMP/disk"
  mount -t tmpfs -o size=1m tmpfs "$TMP/disk" 2>/dev/null || skip "cannot mount a tmpfs here"
  rc=0
  "$H" append "$TMP/disk/d" 100000 3000 >"$TMP/acked" 2>"$TMP/err" || rc=$?
  cat "$TMP/err"
  [ "$rc" -eq 70 ]
  grep -q 'No space left on device (errno 28)' "$TMP/err"
  acked=$(last_acked "$TMP/acked")
  [ "$acked" -gt 100 ]
  # Recovery on the still-full disk truncates the partly written batch.
  run "$H" verify "$TMP/disk/d" "$acked"
  echo "$output"
  [ "$status" -eq 0 ]
  # With room again, the log carries on from where it stopped.
  mount -o remount,size=4m "$TMP/disk"
  "$H" append "$TMP/disk/d" 10 3000 >"$TMP/more"
  [ "$(head -n 1 "$TMP/more" | cut -f 2)" -gt "$acked" ]
  run "$H" verify "$TMP/disk/d" "$(last_acked "$TMP/more")"
  [ "$status" -eq 0 ]
}

@test "a second process on a locked directory exits 75 naming the owner" {
  "$H" append "$TMP/d" 0
  SHARDKIT_FAILPOINTS="wal.before-fsync=sleep(3000)" "$H" append "$TMP/d" 1 >/dev/null 2>&1 &
  owner=$!
  for _ in $(seq 50); do grep -q "$owner" "$TMP/d/LOCK" 2>/dev/null && break; sleep 0.05; done
  run "$H" append "$TMP/d" 1
  kill -9 "$owner"; wait "$owner" || true
  [ "$status" -eq 75 ]
  [[ "$output" == *"$TMP/d is locked by another process (pid $owner)"* ]]
}
