// CURVE keys: generation, key files and client allow lists.
//
// Files (written by `ringctl keygen NAME`):
//
//   NAME.key     the public key: one z85 line. Mode 0644; share it freely.
//   NAME.secret  "public <z85>" and "secret <z85>" lines. Mode 0600 from the
//                moment it exists (never chmod'ed later, so there is no
//                window in which another user can open it).
//
// An allow list is either a file with one z85 public key per line ('#'
// comments and blank lines allowed; a '#' after a key starts a comment), or
// a directory whose *.key files each hold one key. Other files in the
// directory, NAME.secret included, are never read.
//
// A z85 key is 40 characters. '#' is a z85 character too, but never the
// first one of a key (its value, 84, would overflow 32 bits), so a line
// starting with '#' is always a comment.
//
// Errors name the file and line ("keys/allow:3: ..."). Malformed content is
// DataError, a missing file NoInput, an unreadable one Permission.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shardkit/status/status.h"

namespace shardkit::net {

inline constexpr size_t kZ85KeyChars = 40;

struct Keypair {
  std::string public_z85;
  std::string secret_z85;
};

// True when `key` is 40 z85 characters that decode to a 32-byte key.
bool IsZ85Key(std::string_view key);

// Returns a fresh CURVE keypair from libzmq (libsodium). Returns Internal
// when libzmq was built without CURVE.
Result<Keypair> GenerateKeypair();

// Writes NAME.secret (O_CREAT|O_EXCL, mode 0600) and then NAME.key (mode
// 0644, less any umask bits), fsyncing each. Refuses to overwrite either
// file. If NAME.key cannot be written, the NAME.secret just created is
// removed, so no half keypair is left. Returns IoError/Permission naming the
// file and the system error.
Status WriteKeypair(const std::string& name, const Keypair& keypair);

// Reads a NAME.secret file and checks that its secret key derives its
// public key. Refuses (Permission) a file that group or others can access,
// as ssh does for private keys.
Result<Keypair> ReadSecretFile(const std::string& path);

// Reads a NAME.key file: exactly one z85 public key, comments allowed.
Result<std::string> ReadPublicKey(const std::string& path);

// Reads an allow list file or directory (see above) and returns its keys in
// file order (directories: by file name), duplicates kept. An allow list with
// no keys is an error: it would lock every client out.
Result<std::vector<std::string>> LoadAllowList(const std::string& path);

}  // namespace shardkit::net
