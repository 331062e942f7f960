#include "shardkit/net/curve.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "shardkit/net/unique_fd.h"

namespace shardkit::net {
namespace {

constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

// Key files are tiny; an allow list of 100k keys is 4 MB. Anything bigger is
// not a key file, and reading it whole would be a memory hazard.
constexpr size_t kMaxKeyFileBytes = size_t{16} << 20;

Status ErrnoStatus(const std::string& what, int err) {
  std::string message = what + ": " + std::strerror(err);
  switch (err) {
    case ENOENT:
      return Status::NoInput(std::move(message));
    case EACCES:
    case EPERM:
      return Status::Permission(std::move(message));
    default:
      return Status::IoError(std::move(message));
  }
}

std::string_view Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const size_t end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

// Shortens a word for an error message so a pasted blob stays readable.
std::string Shorten(std::string_view word) {
  if (word.size() <= 48) return std::string(word);
  return std::string(word.substr(0, 45)) + "...";
}

// Reads a whole (small) file. On success also returns its mode in *mode.
Result<std::string> ReadSmallFile(const std::string& path, mode_t* mode = nullptr) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("cannot open " + path, errno);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("cannot stat " + path, errno);
  if (S_ISDIR(st.st_mode)) return Status::DataError(path + ": is a directory, expected a file");
  if (mode != nullptr) *mode = st.st_mode;
  std::string content;
  char buf[8192];
  while (true) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("cannot read " + path, errno);
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
    if (content.size() > kMaxKeyFileBytes) {
      return Status::DataError(path + ": larger than " + std::to_string(kMaxKeyFileBytes) +
                               " bytes, not a key file");
    }
  }
  return content;
}

// Calls fn(line_number, line) for each line; stops at the first error.
template <class Fn>
Status ForEachLine(std::string_view content, Fn fn) {
  size_t line_number = 0;
  while (!content.empty()) {
    const size_t nl = content.find('\n');
    const std::string_view line = content.substr(0, nl);
    content = nl == std::string_view::npos ? std::string_view() : content.substr(nl + 1);
    SK_RETURN_IF_ERROR(fn(++line_number, line));
  }
  return Status::Ok();
}

// Parses one line of a key list. Sets *key to the key, or clears it for a
// blank or comment line. Returns DataError with the reason otherwise.
Status ParseKeyLine(std::string_view raw, std::string* key) {
  key->clear();
  const std::string_view line = Trim(raw);
  // '#' is a z85 digit, but it is worth 84 and a key's first digit is at
  // most 82 (85^5 > 2^32), so no key starts with '#'.
  if (line.empty() || line.front() == '#') return Status::Ok();
  const size_t end = line.find_first_of(" \t");
  const std::string_view word = line.substr(0, end);
  if (word == "public" || word == "secret") {
    return Status::DataError("this looks like a NAME.secret file; give the NAME.key file");
  }
  if (word.size() != kZ85KeyChars) {
    return Status::DataError("invalid key '" + Shorten(word) + "': " + std::to_string(word.size()) +
                             " characters, expected 40 z85 characters");
  }
  if (!IsZ85Key(word)) {
    return Status::DataError("invalid key '" + std::string(word) + "': not a z85 CURVE key");
  }
  const std::string_view rest = end == std::string_view::npos ? "" : Trim(line.substr(end));
  if (!rest.empty() && rest.front() != '#') {
    return Status::DataError("unexpected text after key: '" + Shorten(rest) + "'");
  }
  key->assign(word);
  return Status::Ok();
}

Status ParseKeyFile(const std::string& path, std::string_view content,
                    std::vector<std::string>* keys, size_t max_keys) {
  std::string key;
  return ForEachLine(content, [&](size_t n, std::string_view line) -> Status {
    const std::string where = path + ":" + std::to_string(n);
    SK_RETURN_IF_ERROR(ParseKeyLine(line, &key).Prefixed(where));
    if (key.empty()) return Status::Ok();
    if (keys->size() == max_keys) {
      return Status::DataError(where + ": more than one key (a .key file holds one public key)");
    }
    keys->push_back(key);
    return Status::Ok();
  });
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status(Code::kIoError, std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Creates `path` with exactly `mode` (less umask) and `content`. O_EXCL so
// an existing file, or a symlink planted in its place, is never followed or
// overwritten. Removes the file again if writing it fails.
Status WriteNewFile(const std::string& path, std::string_view content, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd.valid()) {
    if (errno == EEXIST) {
      return Status::IoError("cannot create " + path +
                             ": file exists (refusing to overwrite a key)");
    }
    return ErrnoStatus("cannot create " + path, errno);
  }
  Status s = WriteAll(fd.get(), content);
  if (s.ok() && ::fsync(fd.get()) != 0) s = Status(Code::kIoError, std::strerror(errno));
  if (s.ok() && fd.Close() != 0) s = Status(Code::kIoError, std::strerror(errno));
  if (!s.ok()) {
    ::unlink(path.c_str());
    return Status::IoError("cannot write " + path + ": " + s.message());
  }
  return Status::Ok();
}

// Makes the new directory entries durable; best effort, as a lost keypair
// is regenerated, not corrupted.
void SyncParentDir(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.valid()) (void)::fsync(fd.get());
}

}  // namespace

bool IsZ85Key(std::string_view key) {
  if (key.size() != kZ85KeyChars) return false;
  if (key.find_first_not_of(kZ85Alphabet) != std::string_view::npos) return false;
  const std::string z(key);
  uint8_t decoded[32];
  return zmq_z85_decode(decoded, z.c_str()) != nullptr;
}

Result<Keypair> GenerateKeypair() {
  char public_key[kZ85KeyChars + 1];
  char secret_key[kZ85KeyChars + 1];
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    return Status::Internal(std::string("cannot generate a CURVE keypair: ") +
                            zmq_strerror(zmq_errno()));
  }
  return Keypair{public_key, secret_key};
}

Status WriteKeypair(const std::string& name, const Keypair& keypair) {
  if (!IsZ85Key(keypair.public_z85) || !IsZ85Key(keypair.secret_z85)) {
    return Status::Internal("refusing to write a malformed keypair");
  }
  const std::string secret_path = name + ".secret";
  const std::string public_path = name + ".key";
  SK_RETURN_IF_ERROR(WriteNewFile(
      secret_path, "public " + keypair.public_z85 + "\nsecret " + keypair.secret_z85 + "\n", 0600));
  const Status s = WriteNewFile(public_path, keypair.public_z85 + "\n", 0644);
  if (!s.ok()) {
    ::unlink(secret_path.c_str());
    return s;
  }
  SyncParentDir(secret_path);
  return Status::Ok();
}

Result<Keypair> ReadSecretFile(const std::string& path) {
  mode_t mode = 0;
  auto content = ReadSmallFile(path, &mode);
  if (!content.ok()) return content.status();
  if ((mode & 077) != 0) {
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode & 07777));
    return Status::Permission(path + " is accessible by group or others (mode " + octal +
                              "); run chmod 600 " + path);
  }
  Keypair keys;
  size_t public_line = 0;
  size_t secret_line = 0;
  const Status parsed = ForEachLine(*content, [&](size_t n, std::string_view raw) -> Status {
    const std::string where = path + ":" + std::to_string(n);
    const std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#') return Status::Ok();
    const size_t space = line.find_first_of(" \t");
    const std::string_view word = line.substr(0, space);
    const std::string_view value = space == std::string_view::npos ? "" : Trim(line.substr(space));
    size_t* seen = word == "public" ? &public_line : word == "secret" ? &secret_line : nullptr;
    if (seen == nullptr) {
      return Status::DataError(where + ": expected 'public <z85>' or 'secret <z85>', got '" +
                               Shorten(word) + "'");
    }
    if (*seen != 0) {
      return Status::DataError(where + ": duplicate '" + std::string(word) +
                               "' line (first on line " + std::to_string(*seen) + ")");
    }
    // Never echo the value: it may be (part of) a secret key.
    if (!IsZ85Key(value)) {
      return Status::DataError(where + ": invalid " + std::string(word) +
                               " key (expected 40 z85 characters)");
    }
    *seen = n;
    (word == "public" ? keys.public_z85 : keys.secret_z85) = std::string(value);
    return Status::Ok();
  });
  if (!parsed.ok()) return parsed;
  if (secret_line == 0) return Status::DataError(path + ": no 'secret' line");
  if (public_line == 0) return Status::DataError(path + ": no 'public' line");
  char derived[kZ85KeyChars + 1];
  if (zmq_curve_public(derived, keys.secret_z85.c_str()) != 0) {
    return Status::Internal(std::string("cannot derive a CURVE public key: ") +
                            zmq_strerror(zmq_errno()));
  }
  if (keys.public_z85 != derived) {
    return Status::DataError(path + ":" + std::to_string(public_line) +
                             ": public key does not match the secret key");
  }
  return keys;
}

Result<std::string> ReadPublicKey(const std::string& path) {
  auto content = ReadSmallFile(path);
  if (!content.ok()) return content.status();
  std::vector<std::string> keys;
  SK_RETURN_IF_ERROR(ParseKeyFile(path, *content, &keys, 1));
  if (keys.empty()) return Status::DataError(path + ": no public key");
  return std::move(keys.front());
}

Result<std::vector<std::string>> LoadAllowList(const std::string& path) {
  std::error_code ec;
  const bool is_dir = std::filesystem::is_directory(path, ec);
  std::vector<std::string> keys;
  if (!is_dir) {
    auto content = ReadSmallFile(path);
    if (!content.ok()) return content.status();
    SK_RETURN_IF_ERROR(ParseKeyFile(path, *content, &keys, SIZE_MAX));
    if (keys.empty()) {
      return Status::DataError(path + ": no keys (an empty allow list would refuse every client)");
    }
    return keys;
  }
  std::vector<std::string> files;
  std::filesystem::directory_iterator it(path, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const auto& p = it->path();
    if (p.extension() == ".key" && it->is_regular_file(ec)) files.push_back(p.string());
  }
  if (ec) return ErrnoStatus("cannot list " + path, ec.value());
  std::sort(files.begin(), files.end());
  for (const std::string& file : files) {
    auto key = ReadPublicKey(file);
    if (!key.ok()) return key.status();
    keys.push_back(std::move(*key));
  }
  if (keys.empty()) return Status::DataError(path + ": no *.key files in directory");
  return keys;
}

}  // namespace shardkit::net
