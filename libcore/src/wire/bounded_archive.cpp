#include "shardkit/wire/bounded_archive.h"

#include <algorithm>

namespace shardkit::wire::detail {
namespace {

bool HostIsLittleEndian() {
  const uint16_t probe = 1;
  unsigned char first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

}  // namespace

BoundedInputArchive::BoundedInputArchive(std::string_view frame)
    : InputArchive(this),
      begin_(frame.data()),
      pos_(frame.data()),
      end_(frame.data() + frame.size()) {
  if (frame.empty()) throw cereal::Exception("empty body (missing endianness byte)");
  const auto little = static_cast<unsigned char>(*pos_++);
  if (little > 1) {
    throw cereal::Exception("bad endianness byte " + std::to_string(little) +
                            " at offset 0, expected 0 or 1");
  }
  swap_ = (little == 1) != HostIsLittleEndian();
}

void BoundedInputArchive::FailTruncated(size_t wanted) const {
  throw cereal::Exception("truncated at offset " + std::to_string(offset()) + ": need " +
                          std::to_string(wanted) + " bytes, " + std::to_string(remaining()) +
                          " left");
}

void BoundedInputArchive::FailCount(size_t prefix_offset, uint64_t count,
                                    size_t min_element_bytes) const {
  std::string what = "length prefix at offset " + std::to_string(prefix_offset) + " claims " +
                     std::to_string(count) + " elements";
  if (min_element_bytes > 1) {
    what += " of at least " + std::to_string(min_element_bytes) + " bytes";
  }
  throw cereal::Exception(what + " but only " + std::to_string(remaining()) + " bytes remain");
}

void BoundedInputArchive::SwapElements(char* data, size_t size, size_t element_size) {
  for (size_t i = 0; i + element_size <= size; i += element_size) {
    std::reverse(data + i, data + i + element_size);
  }
}

void CEREAL_LOAD_FUNCTION_NAME(BoundedInputArchive& ar, bool& value) {
  const size_t at = ar.offset();
  uint8_t byte = 0;
  ar.LoadBytes(&byte, 1, 1);
  if (byte > 1) {
    throw cereal::Exception("bad bool value " + std::to_string(byte) + " at offset " +
                            std::to_string(at));
  }
  value = byte == 1;
}

}  // namespace shardkit::wire::detail
