// libFuzzer target for every wire decoder: the header, each message body,
// and the frame-level DecodeMessage.
//
// Input layout (what tests/fuzz/corpus/wire/ seeds hold): the first
// kHeaderBytes are the header frame and the rest is the body frame. The
// whole input is also tried as a lone header and as each body type, so
// bytes that do not look like a message still reach every decoder.
//
// Beyond "no crash, no sanitizer report, no huge allocation", it checks:
//   - a decoded header re-encodes to the same bytes;
//   - a decoded body re-encodes to a body that decodes to the same value,
//     byte-identical when the input was little-endian (the encoder's choice);
//   - a message with the wrong number of frames is always rejected.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "shardkit/wire/codec.h"
#include "shardkit/wire/envelope.h"
#include "shardkit/wire/messages.h"

namespace {

using namespace shardkit::wire;

template <class T>
void CheckBody(std::string_view body) {
  T value;
  if (!DecodeBody(body, &value).ok()) return;
  const std::string encoded = EncodeBody(value);
  if (body[0] == 1 && encoded != body) __builtin_trap();
  T again;
  if (!DecodeBody(encoded, &again).ok() || !(again == value)) __builtin_trap();
  if constexpr (std::is_same_v<T, LocateReply>) {
    // The semantic checker must cope with anything the decoder accepts.
    const size_t keys = value.replicas == 0 ? 0 : value.owners.size() / value.replicas;
    (void)ValidateLocateReply(value, keys);
  }
}

void CheckEveryBody(std::string_view body) {
  CheckBody<ErrorReply>(body);
  CheckBody<LocateRequest>(body);
  CheckBody<LocateReply>(body);
  CheckBody<Prepare>(body);
  CheckBody<Vote>(body);
  CheckBody<Commit>(body);
  CheckBody<Abort>(body);
  CheckBody<Ack>(body);
  CheckBody<CommitOnePhase>(body);
  CheckBody<OnePhaseResult>(body);
  CheckBody<Inquire>(body);
  CheckBody<Outcome>(body);
  CheckBody<HeuristicReport>(body);
  CheckBody<Submit>(body);
  CheckBody<SubmitResult>(body);
  CheckBody<GetRequest>(body);
  CheckBody<GetReply>(body);
  CheckBody<PutRequest>(body);
  CheckBody<PutReply>(body);
  CheckBody<DelRequest>(body);
  CheckBody<DelReply>(body);
  CheckBody<ScanRequest>(body);
  CheckBody<ScanReply>(body);
  CheckBody<AdminRequest>(body);
  CheckBody<AdminReply>(body);
  // Replication (repl_messages.h), and the two element structs on their own.
  CheckBody<EpochStart>(body);
  CheckBody<ReplRecord>(body);
  CheckBody<ReplHello>(body);
  CheckBody<ReplStart>(body);
  CheckBody<ReplRecords>(body);
  CheckBody<ReplAck>(body);
  CheckBody<ReplSnapshotChunk>(body);
  CheckBody<ReplVoteRequest>(body);
  CheckBody<ReplVote>(body);
  CheckBody<ReplTakeover>(body);
  CheckBody<LinkProgress>(body);
  CheckBody<LinkRole>(body);
  CheckBody<LinkAcked>(body);
  CheckBody<LinkAppend>(body);
  CheckBody<LinkTruncate>(body);
  CheckBody<LinkInstall>(body);
}

// The two-phase-commit and replication bodies, dispatched by type the way
// txn::DecodeTxnMessage and replicad do, so the typed dispatch is fuzzed too.
template <class... T>
void CheckByType(MsgType type, std::string_view body) {
  ((T::kType == type ? CheckBody<T>(body) : void()), ...);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  Header header;
  if (DecodeHeader(input, &header).ok() && EncodeHeader(header) != input) __builtin_trap();
  CheckEveryBody(input);

  if (size < kHeaderBytes) return 0;
  const std::string_view frames[] = {input.substr(0, kHeaderBytes), input.substr(kHeaderBytes)};
  auto message = DecodeMessage(frames);
  if (message.ok()) {
    // Dispatch the way a server does: by the header's type.
    switch (message->header.type) {
      case MsgType::kError:
        CheckBody<ErrorReply>(message->body);
        break;
      case MsgType::kLocateRequest:
        CheckBody<LocateRequest>(message->body);
        break;
      case MsgType::kLocateReply:
        CheckBody<LocateReply>(message->body);
        break;
      default:
        CheckByType<Prepare, Vote, Commit, Abort, Ack, CommitOnePhase, OnePhaseResult, Inquire,
                    Outcome, HeuristicReport, Submit, SubmitResult, GetRequest, GetReply,
                    PutRequest, PutReply, DelRequest, DelReply, ScanRequest, ScanReply,
                    AdminRequest, AdminReply, ReplHello, ReplStart, ReplRecords, ReplAck,
                    ReplSnapshotChunk, ReplVoteRequest, ReplVote, ReplTakeover, LinkProgress,
                    LinkRole, LinkAcked, LinkAppend, LinkTruncate, LinkInstall>(
            message->header.type, message->body);
        break;
    }
  }
  if (DecodeMessage(std::span(frames, 1)).ok()) __builtin_trap();
  const std::string_view three[] = {frames[0], frames[1], frames[1]};
  if (DecodeMessage(three).ok()) __builtin_trap();
  return 0;
}
