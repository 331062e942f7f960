#include "shardkit/kv/lock_table.h"

#include <algorithm>

namespace shardkit::kv {

bool LockTable::TryLockAll(std::string_view owner, std::span<const std::string_view> keys,
                           LockConflict* conflict) {
  // Check everything first, so a conflict takes nothing.
  for (std::string_view key : keys) {
    auto it = holder_.find(key);
    if (it != holder_.end() && it->second != owner) {
      if (conflict != nullptr) {
        conflict->key.assign(key);
        conflict->holder = it->second;
      }
      return false;
    }
  }
  if (keys.empty()) return true;
  auto owned = keys_.find(owner);
  if (owned == keys_.end())
    owned = keys_.emplace(std::string(owner), std::vector<std::string>{}).first;
  for (std::string_view key : keys) {
    auto [it, inserted] = holder_.try_emplace(std::string(key), owner);
    if (inserted) owned->second.emplace_back(key);
  }
  return true;
}

size_t LockTable::ReleaseAll(std::string_view owner) {
  auto owned = keys_.find(owner);
  if (owned == keys_.end()) return 0;
  const size_t n = owned->second.size();
  for (const std::string& key : owned->second) holder_.erase(key);
  keys_.erase(owned);
  return n;
}

const std::string* LockTable::HolderOf(std::string_view key) const {
  auto it = holder_.find(key);
  return it == holder_.end() ? nullptr : &it->second;
}

std::vector<std::string> LockTable::KeysOf(std::string_view owner) const {
  auto owned = keys_.find(owner);
  if (owned == keys_.end()) return {};
  std::vector<std::string> keys = owned->second;
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::vector<std::pair<std::string, std::string>> LockTable::List() const {
  return {holder_.begin(), holder_.end()};
}

}  // namespace shardkit::kv
