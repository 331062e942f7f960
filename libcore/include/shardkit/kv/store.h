// Store: the ordered in-memory key-value map behind a participant
// (DESIGN.md §6). Pure memory, no I/O: durability is the WAL's job, and the
// txn participant core decides when a change may be applied (only after the
// record that carries it is durable).
//
// Keys and values are arbitrary byte strings. Lookups take std::string_view
// and never copy the key.
//
//   kv::Store store;
//   store.Put("user:1", "alice");
//   const std::string* v = store.Find("user:1");      // "alice"
//   std::string failed;
//   Status s = store.Apply(ops, &failed);               // all checks, then all writes
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "shardkit/status/status.h"

namespace shardkit::kv {

// What an operation does. Same meaning as wire::OpKind (kv does not depend
// on wire, so the transaction core converts).
enum class OpKind : uint8_t { kPut, kDel, kGet, kCheckEq, kCheckAbsent };

// A non-owning view of one operation; the strings must outlive the call.
struct OpView {
  OpKind kind = OpKind::kPut;
  std::string_view key;
  std::string_view value;  // put: new value; check_eq: expected value
};

class Store {
 public:
  using Map = std::map<std::string, std::string, std::less<>>;

  // The value of `key`, or nullptr. Valid until the next mutation.
  const std::string* Find(std::string_view key) const;

  // Sets `key` to `value`, replacing any old value.
  void Put(std::string_view key, std::string_view value);

  // Removes `key`. Returns whether it existed.
  bool Del(std::string_view key);

  // Calls visit(key, value) for each key that starts with `prefix` and sorts
  // after `start_after` ("" means from the first such key), in key order,
  // until visit returns false. Returns how many entries were visited.
  size_t ScanPrefix(std::string_view prefix, std::string_view start_after,
                    const std::function<bool(std::string_view, std::string_view)>& visit) const;

  // Evaluates the checks among `ops` against the current state. Ok when all
  // hold; otherwise Status::Negative("check failed: ...") naming the first
  // failing key, which is also stored in *failed_key when not null.
  Status Check(std::span<const OpView> ops, std::string* failed_key = nullptr) const;

  // Atomically: when every check holds (see Check) applies every put and del
  // in order and returns ok; otherwise changes nothing and returns Check's
  // error. Gets are ignored. Checks see the state before any write.
  Status Apply(std::span<const OpView> ops, std::string* failed_key = nullptr);

  // Applies the puts and dels among `ops` in order, without checks.
  void ApplyWrites(std::span<const OpView> ops);

  size_t size() const { return map_.size(); }
  // Bytes of keys plus values held (not counting the map's own overhead).
  uint64_t bytes() const { return bytes_; }
  const Map& entries() const { return map_; }

  bool operator==(const Store& other) const { return map_ == other.map_; }

 private:
  Map map_;
  uint64_t bytes_ = 0;
};

// A printable form of `bytes` for messages: printable ASCII kept, anything
// else as \xHH, cut at 64 bytes with "...".
std::string Printable(std::string_view bytes);

}  // namespace shardkit::kv
