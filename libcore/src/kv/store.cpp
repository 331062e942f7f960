#include "shardkit/kv/store.h"

#include <cstdio>

namespace shardkit::kv {

const std::string* Store::Find(std::string_view key) const {
  auto it = map_.find(key);
  return it == map_.end() ? nullptr : &it->second;
}

void Store::Put(std::string_view key, std::string_view value) {
  auto it = map_.find(key);
  if (it == map_.end()) {
    map_.emplace(std::string(key), std::string(value));
    bytes_ += key.size() + value.size();
    return;
  }
  bytes_ = bytes_ - it->second.size() + value.size();
  it->second.assign(value);
}

bool Store::Del(std::string_view key) {
  auto it = map_.find(key);
  if (it == map_.end()) return false;
  bytes_ -= it->first.size() + it->second.size();
  map_.erase(it);
  return true;
}

size_t Store::ScanPrefix(
    std::string_view prefix, std::string_view start_after,
    const std::function<bool(std::string_view, std::string_view)>& visit) const {
  auto it = start_after.empty() || start_after < prefix ? map_.lower_bound(prefix)
                                                        : map_.upper_bound(start_after);
  size_t visited = 0;
  for (; it != map_.end(); ++it) {
    if (std::string_view(it->first).substr(0, prefix.size()) != prefix) break;
    ++visited;
    if (!visit(it->first, it->second)) break;
  }
  return visited;
}

Status Store::Check(std::span<const OpView> ops, std::string* failed_key) const {
  for (const OpView& op : ops) {
    if (op.kind != OpKind::kCheckEq && op.kind != OpKind::kCheckAbsent) continue;
    const std::string* have = Find(op.key);
    std::string why;
    if (op.kind == OpKind::kCheckAbsent && have != nullptr) {
      why = "is '" + Printable(*have) + "', expected absent";
    } else if (op.kind == OpKind::kCheckEq && have == nullptr) {
      why = "is absent, expected '" + Printable(op.value) + "'";
    } else if (op.kind == OpKind::kCheckEq && *have != op.value) {
      why = "is '" + Printable(*have) + "', expected '" + Printable(op.value) + "'";
    } else {
      continue;
    }
    if (failed_key != nullptr) failed_key->assign(op.key);
    return Status::Negative("check failed: key '" + Printable(op.key) + "' " + why);
  }
  return Status::Ok();
}

Status Store::Apply(std::span<const OpView> ops, std::string* failed_key) {
  SK_RETURN_IF_ERROR(Check(ops, failed_key));
  ApplyWrites(ops);
  return Status::Ok();
}

void Store::ApplyWrites(std::span<const OpView> ops) {
  for (const OpView& op : ops) {
    if (op.kind == OpKind::kPut) {
      Put(op.key, op.value);
    } else if (op.kind == OpKind::kDel) {
      Del(op.key);
    }
  }
}

std::string Printable(std::string_view bytes) {
  constexpr size_t kMax = 64;
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (bytes.size() > kMax) out += "...";
  return out;
}

}  // namespace shardkit::kv
