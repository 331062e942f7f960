// LinkEndpoint and DIR/replication (link.h).
#include "shardkit/daemon/link.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace shardkit::daemon {

namespace {

constexpr size_t kMaxIpcPath = 107;  // sun_path, less the terminating NUL

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError(what + " " + path + ": " + std::strerror(errno));
}

Status FsyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Status::Internal("fsync " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace

std::string LinkEndpoint(const std::string& data_dir) {
  std::error_code ec;
  std::string abs = std::filesystem::absolute(data_dir, ec).lexically_normal().string();
  if (ec) abs = data_dir;
  while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
  const std::string path = abs + "/repl.sock";
  if (path.size() <= kMaxIpcPath) return "ipc://" + path;
  // FNV-1a: stable across runs and builds, which std::hash need not be.
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : abs) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return std::string("ipc://@shardkit-repl-") + hex;
}

Result<std::optional<repl::AckLevel>> ReadReplicationFile(const std::string& data_dir) {
  const std::string path = data_dir + "/replication";
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return std::optional<repl::AckLevel>{};
    return Errno("cannot read", path);
  }
  std::string line;
  std::optional<repl::AckLevel> ack;
  for (int n = 1; n <= 64 && std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    if (!line.starts_with("ack ")) {
      return Status::DataError(path + " line " + std::to_string(n) + ": expected 'ack LEVEL'");
    }
    auto level = repl::ParseAckLevel(line.substr(4));
    if (!level.ok()) {
      return Status::DataError(path + " line " + std::to_string(n) + ": " +
                               level.status().message());
    }
    ack = *level;
  }
  if (!ack) return Status::DataError(path + ": no 'ack LEVEL' line");
  return ack;
}

Status WriteReplicationFile(const std::string& data_dir, const repl::AckLevel& ack) {
  const std::string path = data_dir + "/replication";
  const std::string tmp = path + ".tmp";
  const std::string text = "ack " + repl::FormatAckLevel(ack) + "\n";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", tmp);
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int saved = errno;
  const bool synced = written && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    errno = saved;
    return Errno("cannot write", tmp);
  }
  if (!synced) return Status::Internal("fsync " + tmp + ": " + std::strerror(errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Errno("cannot rename", tmp);
  return FsyncPath(data_dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace shardkit::daemon
