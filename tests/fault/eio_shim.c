/* An LD_PRELOAD shim that makes fdatasync(2) and fsync(2) fail with EIO,
 * for proving that a failed sync is fatal (DESIGN.md §6 rule 4).
 *
 *   SHARDKIT_EIO_FDATASYNC_AFTER=N  the first N fdatasync calls succeed,
 *                                   every later one fails with EIO
 *   SHARDKIT_EIO_FSYNC_AFTER=N      the same for fsync
 *
 * Unset, a call goes straight to the system call. The data is not synced on
 * a failing call, like a device that lost the write. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static long fdatasync_calls;
static long fsync_calls;

/* Counts this call; nonzero when it must fail. */
static int ShouldFail(const char* variable, long* calls) {
  const char* limit = getenv(variable);
  if (limit == NULL || *limit == '\0') return 0;
  long n = __atomic_add_fetch(calls, 1, __ATOMIC_SEQ_CST);
  return n > atol(limit);
}

int fdatasync(int fd) {
  if (ShouldFail("SHARDKIT_EIO_FDATASYNC_AFTER", &fdatasync_calls)) {
    errno = EIO;
    return -1;
  }
  return (int)syscall(SYS_fdatasync, fd);
}

int fsync(int fd) {
  if (ShouldFail("SHARDKIT_EIO_FSYNC_AFTER", &fsync_calls)) {
    errno = EIO;
    return -1;
  }
  return (int)syscall(SYS_fsync, fd);
}
