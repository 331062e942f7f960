#include "shardkit/wire/codec.h"

namespace shardkit::wire {

std::vector<std::string> EncodeMessage(MsgType type, uint64_t request_id, std::string body) {
  std::vector<std::string> frames;
  frames.reserve(kMessageFrames);
  frames.push_back(EncodeHeader(Header{kProtocolVersion, type, 0, request_id}));
  frames.push_back(std::move(body));
  return frames;
}

Result<MessageView> DecodeMessage(std::span<const std::string_view> frames) {
  if (frames.size() != kMessageFrames) {
    return Status::DataError("message has " + std::to_string(frames.size()) +
                             " frames after routing, expected " + std::to_string(kMessageFrames) +
                             " (header, body)");
  }
  MessageView view;
  SK_RETURN_IF_ERROR(DecodeHeader(frames[0], &view.header));
  if (frames[1].size() > kMaxMessageBytes) {
    return Status::DataError("body frame is " + std::to_string(frames[1].size()) +
                             " bytes, limit " + std::to_string(kMaxMessageBytes));
  }
  view.body = frames[1];
  return view;
}

}  // namespace shardkit::wire
