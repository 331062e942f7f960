// Reading and atomically rewriting ring files.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "shardkit/ring/ring_file.h"

namespace shardkit::ring {
namespace {

Status Errno(const std::string& what) {
  int e = errno;
  if (e == ENOENT) return Status::NoInput(what + ": no such file");
  if (e == EACCES || e == EPERM) return Status::Permission(what + ": " + std::strerror(e));
  return Status::IoError(what + ": " + std::strerror(e));
}

// Reads all of fd, refusing more than kMaxRingFileBytes.
Result<std::string> ReadAll(int fd, const std::string& name) {
  std::string text;
  char buf[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno(name);
    if (n == 0) break;
    if (text.size() + size_t(n) > kMaxRingFileBytes) {
      return Status::DataError(name + ": ring file larger than 64 MiB");
    }
    text.append(buf, size_t(n));
  }
  return text;
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Result<RingFile> LoadRing(const std::string& path) {
  if (path == "-") {
    auto text = ReadAll(STDIN_FILENO, "<stdin>");
    if (!text.ok()) return text.status();
    return ParseRing(*text, "<stdin>");
  }
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) return Errno(path);
  auto text = ReadAll(f.fd, path);
  if (!text.ok()) return text.status();
  return ParseRing(*text, path);
}

Status SaveRing(const std::string& target, const RingFile& ring) {
  // Edit through a symlink, not over it: the rename goes to the link's
  // target, which keeps its mode; a new file gets 0666 less the umask.
  std::string path = target;
  mode_t mode = 0;
  struct stat st;
  if (::lstat(target.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    char* real = ::realpath(target.c_str(), nullptr);
    if (real == nullptr) return Errno(target);
    path = real;
    std::free(real);
  }
  if (::stat(path.c_str(), &st) == 0) {
    mode = st.st_mode & 07777;
  } else {
    mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  std::string text = FormatRing(ring);
  std::string dir = DirOf(path);
  std::string tmp = path + ".tmp.XXXXXX";
  Fd f;
  f.fd = ::mkstemp(tmp.data());
  if (f.fd < 0) return Errno("cannot create a temporary file in " + dir);
  auto fail = [&](const std::string& what) {
    Status s = Errno(what);
    ::unlink(tmp.c_str());
    return s;
  };
  if (::fchmod(f.fd, mode) != 0) return fail(tmp);
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(f.fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write " + tmp);
    off += size_t(n);
  }
  // A failed fsync means the data may not be on disk: never rename then.
  if (::fsync(f.fd) != 0) return fail("fsync " + tmp);
  if (::close(f.fd) != 0) {
    f.fd = -1;
    return fail("close " + tmp);
  }
  f.fd = -1;
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename to " + path);
  Fd d;
  d.fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d.fd < 0) return Errno("open directory " + dir);
  if (::fsync(d.fd) != 0) return Errno("fsync directory " + dir);
  return Status::Ok();
}

Status EditRing(const std::string& path, const std::function<Status(RingFile*)>& edit) {
  // Lock the file itself. The rename replaces the inode, so after taking the
  // lock, check that the path still names the inode we locked; if a
  // concurrent editor renamed over it, start again on the new file.
  for (int attempt = 0; attempt < 100; ++attempt) {
    Fd f;
    f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f.fd < 0) return Errno(path);
    if (::flock(f.fd, LOCK_EX) != 0) return Errno("lock " + path);
    struct stat locked, current;
    if (::fstat(f.fd, &locked) != 0) return Errno(path);
    if (::stat(path.c_str(), &current) != 0) return Errno(path);
    if (locked.st_ino != current.st_ino || locked.st_dev != current.st_dev) continue;
    auto text = ReadAll(f.fd, path);
    if (!text.ok()) return text.status();
    auto ring = ParseRing(*text, path);
    if (!ring.ok()) return ring.status();
    SK_RETURN_IF_ERROR(edit(&*ring));
    return SaveRing(path, *ring);
  }
  return Status::Temporary(path + ": too many concurrent edits");
}

}  // namespace shardkit::ring
