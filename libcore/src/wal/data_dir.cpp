#include "shardkit/wal/data_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include <cerrno>
#include <cstdio>

#include "file.h"
#include "install.h"

namespace shardkit::wal {
namespace {

std::string Timestamp() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ts.tv_nsec / 1000000));
  return buf;
}

void DefaultFatal(const std::string& message) {
  std::string line = "ts=" + Timestamp() + " level=error msg=";
  AppendLogfmt(&line, "fatal durability failure, exiting");
  line += " error=";
  AppendLogfmt(&line, message);
  line += " exit=70";
  WriteStderrLine(line);
  // _exit, not exit: other threads keep running during exit(), and atexit
  // handlers or destructors could block on them or write more state.
  ::_exit(70);
}

void DefaultWarning(const std::string& message) {
  std::string line = "ts=" + Timestamp() + " level=warn msg=";
  AppendLogfmt(&line, message);
  WriteStderrLine(line);
}

// mkdir, treating "already exists as a directory" as success. Sets *created
// when this call made it.
Status MakeDir(const std::string& dir, bool* created) {
  *created = false;
  if (::mkdir(dir.c_str(), 0755) == 0) {
    *created = true;
    return Status::Ok();
  }
  if (errno != EEXIST) return ErrnoStatus("cannot create directory " + dir);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) return ErrnoStatus(dir);
  if (!S_ISDIR(st.st_mode)) return Status::IoError(dir + ": exists and is not a directory");
  return Status::Ok();
}

std::string Parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Creates `dir` and its missing parents; fsyncs the parent of each directory
// it creates, so the new entries survive a power loss.
Status MakeDirs(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::Ok();
  std::string parent = Parent(dir);
  if (parent != dir && parent != "." && parent != "/") SK_RETURN_IF_ERROR(MakeDirs(parent));
  bool created = false;
  SK_RETURN_IF_ERROR(MakeDir(dir, &created));
  if (created && FsyncDir(parent) != 0) return ErrnoStatus("fsync directory " + parent);
  return Status::Ok();
}

std::string Trimmed(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

Result<DataDir> DataDir::Open(const std::string& raw_path, DataDirOptions options) {
  if (raw_path.empty()) return Status::Usage("data directory path is empty");
  std::string path = Trimmed(raw_path);
  if (!options.on_fatal) options.on_fatal = DefaultFatal;
  if (!options.on_warning) options.on_warning = DefaultWarning;

  SK_RETURN_IF_ERROR(MakeDirs(path));

  // Lock first, so two processes starting together never both create or
  // clean up the subdirectories.
  std::string lock_path = path + "/LOCK";
  Fd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!lock.valid()) return ErrnoStatus("cannot open " + lock_path);
  if (::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return ErrnoStatus("cannot lock " + lock_path);
    char buf[32] = {};
    ssize_t n = PreadFull(lock.get(), buf, sizeof buf - 1, 0);
    std::string pid = n > 0 ? std::string(buf, size_t(n)) : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    if (pid.empty()) pid = "unknown";
    return Status::Temporary(path + " is locked by another process (pid " + pid + ")");
  }
  // The pid is only for the message above; it need not be durable.
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock.get(), 0) != 0 || ::pwrite(lock.get(), pid.data(), pid.size(), 0) < 0) {
    return ErrnoStatus("cannot write " + lock_path);
  }

  bool created_any = false;
  for (const char* sub : {"/wal", "/snap"}) {
    bool created = false;
    SK_RETURN_IF_ERROR(MakeDir(path + sub, &created));
    created_any |= created;
  }
  if (created_any && FsyncDir(path) != 0) return ErrnoStatus("fsync directory " + path);

  DataDir dir(path, std::move(options), lock.Release());

  // A temporary snapshot is a write that never reached its rename: garbage.
  auto names = ListDir(dir.snap_dir());
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    if (name.find(".tmp") == std::string::npos) continue;
    std::string file = dir.snap_dir() + "/" + name;
    if (::unlink(file.c_str()) != 0) return ErrnoStatus("cannot remove " + file);
    dir.Warn("removed an unfinished snapshot " + file);
  }
  // Always, not only after a removal: a previous process may have renamed a
  // snapshot into place and died before its directory fsync, and the log
  // must not be trimmed on the strength of a name that is not durable.
  if (FsyncDir(dir.snap_dir()) != 0) {
    dir.Fatal("fsync directory " + dir.snap_dir() + ": " + ErrnoText(errno));
    return Status::Internal("fsync directory " + dir.snap_dir() + " failed");
  }
  // An install that passed its commit point is finished before anyone reads
  // the log, so old segments are never seen next to the new snapshot.
  auto install = FindUnfinishedInstall(dir.snap_dir());
  if (!install.ok()) return install.status();
  if (*install) {
    SK_RETURN_IF_ERROR(FinishInstall(dir, **install));
    dir.Warn("finished an interrupted snapshot install at LSN " + std::to_string((*install)->lsn) +
             " (the log and older snapshots were replaced)");
  }
  return dir;
}

DataDir::DataDir(std::string path, DataDirOptions options, int lock_fd)
    : path_(std::move(path)), options_(std::move(options)), lock_fd_(lock_fd) {}

DataDir::DataDir(DataDir&& other) noexcept
    : path_(std::move(other.path_)),
      options_(std::move(other.options_)),
      lock_fd_(std::exchange(other.lock_fd_, -1)) {}

DataDir& DataDir::operator=(DataDir&& other) noexcept {
  if (this != &other) {
    if (lock_fd_ >= 0) ::close(lock_fd_);
    path_ = std::move(other.path_);
    options_ = std::move(other.options_);
    lock_fd_ = std::exchange(other.lock_fd_, -1);
  }
  return *this;
}

DataDir::~DataDir() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void DataDir::Fatal(const std::string& message) const {
  if (options_.on_fatal) {
    options_.on_fatal(message);
  } else {
    DefaultFatal(message);
  }
}

void DataDir::Warn(const std::string& message) const {
  if (options_.on_warning) {
    options_.on_warning(message);
  } else {
    DefaultWarning(message);
  }
}

}  // namespace shardkit::wal
