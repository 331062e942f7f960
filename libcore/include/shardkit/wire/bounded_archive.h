// BoundedInputArchive: the only way shardkit reads a cereal body.
//
// cereal's own PortableBinaryInputArchive trusts length prefixes: an 8-byte
// frame claiming 2^60 elements makes std::vector::resize allocate (or throw
// std::length_error, which is not a cereal::Exception). This archive reads
// the same bytes as PortableBinaryInputArchive, straight from a
// std::string_view (no stream), and checks every length prefix against the
// bytes left in the frame BEFORE anything is allocated:
//
//   - every SizeTag (string, vector, map, set count) must be <= bytes left,
//     because each element occupies at least one byte on the wire;
//   - a std::vector<T> count must also be <= bytes left / MinWireBytes<T>(),
//     which caps the allocation at about sizeof(T)/MinWireBytes<T> times the
//     frame size (4x for strings) instead of 32x;
//   - a vector of structs is not sized from its count at all: it grows as
//     its elements decode (after a small reserve), so a count that lies
//     costs nothing before the bytes run out;
//   - reads past the end, a bad endianness byte and a bool other than 0 or 1
//     are rejected.
//
// Failures throw cereal::Exception with a precise reason, because that is
// how a cereal archive aborts a nested load. This is an implementation
// detail of DecodeBody (codec.h), which catches everything; do not use the
// archive directly.
//
// Limitation: a vector of a type that serializes to zero bytes (an empty
// struct) is rejected when its count exceeds the bytes left. No message has
// one.
#pragma once

#include <algorithm>
#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace shardkit::wire::detail {

template <class T>
struct IsLengthPrefixed : std::false_type {};
template <class C, class Tr, class A>
struct IsLengthPrefixed<std::basic_string<C, Tr, A>> : std::true_type {};
template <class T, class A>
struct IsLengthPrefixed<std::vector<T, A>> : std::true_type {};

// The fewest bytes one T can occupy on the wire: its size for numbers, the
// size tag for strings and vectors, T::kMinWireBytes for a struct that
// declares it, and one byte for anything else.
template <class T>
constexpr size_t MinWireBytes() {
  if constexpr (std::is_arithmetic_v<T>) {
    return sizeof(T);
  } else if constexpr (IsLengthPrefixed<T>::value) {
    return sizeof(cereal::size_type);
  } else if constexpr (requires { T::kMinWireBytes; }) {
    return T::kMinWireBytes;
  } else {
    return 1;
  }
}

// Elements reserved up front for a vector of structs; beyond that it grows
// as elements actually decode, so memory follows the bytes really present,
// not the count a sender claims.
inline constexpr size_t kMaxVectorReserve = 1024;

class BoundedInputArchive
    : public cereal::InputArchive<BoundedInputArchive, cereal::AllowEmptyClassElision> {
 public:
  // Reads the endianness byte that PortableBinaryOutputArchive writes first.
  // Throws cereal::Exception when `frame` is empty or the byte is not 0 or 1.
  // `frame` must outlive the archive.
  explicit BoundedInputArchive(std::string_view frame);

  // Copies `size` bytes to `data`, byte-swapping each `element_size` element
  // when the sender's endianness differs from ours. Throws when fewer than
  // `size` bytes are left.
  void LoadBytes(void* data, size_t size, size_t element_size) {
    if (size > remaining()) FailTruncated(size);
    if (size == 0) return;  // an empty vector's data() may be null: memcpy(nullptr) is UB
    std::memcpy(data, pos_, size);
    pos_ += size;
    if (swap_ && element_size > 1) SwapElements(static_cast<char*>(data), size, element_size);
  }

  // Throws unless `count` elements of at least `min_element_bytes` each fit
  // in the bytes left. `prefix_offset` is where the count was read, for the
  // error message.
  void CheckCount(size_t prefix_offset, uint64_t count, size_t min_element_bytes) const {
    if (count > remaining() / min_element_bytes) {
      FailCount(prefix_offset, count, min_element_bytes);
    }
  }

  size_t offset() const { return static_cast<size_t>(pos_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - pos_); }

 private:
  [[noreturn]] void FailTruncated(size_t wanted) const;
  [[noreturn]] void FailCount(size_t prefix_offset, uint64_t count, size_t min_element_bytes) const;
  static void SwapElements(char* data, size_t size, size_t element_size);

  const char* begin_;
  const char* pos_;
  const char* end_;
  bool swap_ = false;
};

// Numbers: fixed size, sender's byte order fixed up.
template <class T>
std::enable_if_t<std::is_arithmetic_v<T>> CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar,
                                                                    T& value) {
  ar.LoadBytes(std::addressof(value), sizeof(T), sizeof(T));
}

// A byte other than 0 or 1 in a bool is undefined behaviour, so reject it.
void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, bool& value);

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::NameValuePair<T>& nvp) {
  ar(nvp.value);
}

// Every container count passes through here: each element takes at least
// one byte, so a count above the bytes left is a lie.
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::SizeTag<T>& tag) {
  const size_t at = ar.offset();
  ar(tag.size);
  ar.CheckCount(at, static_cast<uint64_t>(tag.size), 1);
}

template <class T>
void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, cereal::BinaryData<T>& data) {
  using Element = std::remove_pointer_t<T>;
  ar.LoadBytes(data.data, static_cast<size_t>(data.size), sizeof(Element));
}

// Overrides cereal's vector load (this overload is more specialized) to
// apply the per-element bound before resize() allocates.
template <class T, class A>
requires(!std::is_same_v<T, bool>) void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar,
                                                                  std::vector<T, A>& vec) {
  cereal::size_type count = 0;
  const size_t at = ar.offset();
  ar(cereal::make_size_tag(count));
  ar.CheckCount(at, count, MinWireBytes<T>());
  if constexpr (std::is_arithmetic_v<T>) {
    vec.resize(static_cast<size_t>(count));
    ar.LoadBytes(vec.data(), vec.size() * sizeof(T), sizeof(T));
  } else {
    vec.clear();
    vec.reserve(std::min<size_t>(static_cast<size_t>(count), kMaxVectorReserve));
    for (cereal::size_type i = 0; i < count; ++i) {
      vec.emplace_back();
      ar(vec.back());
    }
  }
}

}  // namespace shardkit::wire::detail

// Lets cereal's load_minimal detection find the matching output archive.
namespace cereal::traits::detail {
template <>
struct get_output_from_input<shardkit::wire::detail::BoundedInputArchive> {
  using type = cereal::PortableBinaryOutputArchive;
};
}  // namespace cereal::traits::detail
