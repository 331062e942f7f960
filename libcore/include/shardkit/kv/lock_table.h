// LockTable: exclusive per-key locks owned by transaction ids (DESIGN.md §7).
//
// Locks are never waited for: TryLockAll either takes every key or none and
// names the first conflict, so the participant can vote NO at once instead
// of risking a distributed deadlock. Strict two-phase locking falls out of
// how the participant uses it: every key is locked at PREPARE and released
// only when the outcome is known.
//
//   kv::LockTable locks;
//   kv::LockConflict c;
//   if (!locks.TryLockAll("tx1", keys, &c)) Vote NO naming c.key and c.holder;
//   ...
//   locks.ReleaseAll("tx1");
#pragma once

#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shardkit::kv {

struct LockConflict {
  std::string key;
  std::string holder;
};

class LockTable {
 public:
  // Locks every key in `keys` for `owner`, or none. Keys `owner` already
  // holds, and repeated keys, are fine. Returns true when all are held by
  // `owner` afterwards. Otherwise returns false, stores the first key (in
  // `keys` order) held by another owner, and that owner, in *conflict (when
  // not null), and takes nothing.
  bool TryLockAll(std::string_view owner, std::span<const std::string_view> keys,
                  LockConflict* conflict);

  // Releases every key `owner` holds. Returns how many were released.
  size_t ReleaseAll(std::string_view owner);

  // The owner of `key`'s lock, or nullptr. Valid until the next change.
  const std::string* HolderOf(std::string_view key) const;

  // The keys `owner` holds, in key order.
  std::vector<std::string> KeysOf(std::string_view owner) const;

  // Every (key, owner) pair, in key order.
  std::vector<std::pair<std::string, std::string>> List() const;

  size_t size() const { return holder_.size(); }
  size_t owner_count() const { return keys_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> holder_;             // key -> owner
  std::map<std::string, std::vector<std::string>, std::less<>> keys_;  // owner -> keys
};

}  // namespace shardkit::kv
