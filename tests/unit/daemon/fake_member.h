// FakeMember: one member of a replica set for the daemon tests, a ROUTER on
// a loopback port picked at run time, served on its own thread.
//
//   kPrimary  answers like a participant or server: GET -> GET_REPLY (every
//             key missing), ADMIN -> a one-cell table naming the member,
//             PREPARE -> VOTE yes, COMMIT and ABORT -> ACK,
//             COMMIT_ONE_PHASE -> ONE_PHASE_RESULT committed
//   kStandby  answers everything ErrorReply{NOT_PRIMARY, "this is a standby"
//             [+ "; primary HINT"]}, as a standby writer does
//   kSilent   reads every request and never answers
//
// It counts the requests it read, by type.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "shardkit/net/socket.h"
#include "shardkit/txn/core.h"
#include "shardkit/wire/codec.h"
#include "shardkit/wire/envelope.h"
#include "shardkit/wire/messages.h"

namespace shardkit::testing {

class FakeMember {
 public:
  enum class Mode { kPrimary, kStandby, kSilent };

  explicit FakeMember(Mode mode, std::string hint = "") : mode_(mode), hint_(std::move(hint)) {
    router_ = zmq::socket_t(context_, zmq::socket_type::router);
    router_.set(zmq::sockopt::linger, 0);
    router_.bind("tcp://127.0.0.1:*");
    endpoint_ = router_.get(zmq::sockopt::last_endpoint);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeMember() {
    stop_ = true;
    thread_.join();
  }
  FakeMember(const FakeMember&) = delete;
  FakeMember& operator=(const FakeMember&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  int requests() const { return requests_; }
  int requests(wire::MsgType type) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_type_.find(type);
    return it == by_type_.end() ? 0 : it->second;
  }

 private:
  void Serve() {
    while (!stop_) {
      zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(20));
      if (!(item.revents & ZMQ_POLLIN)) continue;
      std::vector<zmq::message_t> frames;
      auto total = net::ReceiveFrames(router_, &frames, /*dontwait=*/true);
      if (!total.ok() || *total != 3) continue;  // [routing id, header, body]
      const std::string_view views[] = {net::View(frames[1]), net::View(frames[2])};
      auto message = wire::DecodeMessage(views);
      if (!message.ok()) continue;
      ++requests_;
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++by_type_[message->header.type];
      }
      if (mode_ == Mode::kSilent) continue;
      const std::vector<std::string> out = Answer(message->header, message->body);
      if (out.empty()) continue;
      const std::string_view out_views[] = {net::View(frames[0]), out[0], out[1]};
      (void)net::SendFrames(router_, out_views, /*dontwait=*/true);
    }
  }

  // [header, body] of the answer, or nothing.
  std::vector<std::string> Answer(const wire::Header& header, std::string_view body) {
    const uint64_t id = header.request_id;
    if (mode_ == Mode::kStandby) {
      std::string reason = "this is a standby";
      if (!hint_.empty()) reason += "; primary " + hint_;
      return wire::EncodeMessage(
          id, wire::ErrorReply{static_cast<uint16_t>(wire::ErrorCode::kNotPrimary), reason});
    }
    if (header.type == wire::MsgType::kAdminRequest) {
      return wire::EncodeMessage(id, wire::AdminReply{{"member"}, {{endpoint_}}});
    }
    auto msg = txn::DecodeTxnMessage(header.type, body);
    if (!msg.ok()) return {};
    if (const auto* get = std::get_if<wire::GetRequest>(&*msg)) {
      wire::GetReply reply;
      for (const std::string& key : get->keys) reply.reads.push_back({key, false, ""});
      return wire::EncodeMessage(id, reply);
    }
    if (const auto* p = std::get_if<wire::Prepare>(&*msg)) {
      return wire::EncodeMessage(id, wire::Vote{p->txid, wire::VoteKind::kYes, "", "", {}});
    }
    if (const auto* c = std::get_if<wire::Commit>(&*msg)) {
      return wire::EncodeMessage(id, wire::Ack{c->txid});
    }
    if (const auto* a = std::get_if<wire::Abort>(&*msg)) {
      return wire::EncodeMessage(id, wire::Ack{a->txid});
    }
    if (const auto* o = std::get_if<wire::CommitOnePhase>(&*msg)) {
      return wire::EncodeMessage(
          id, wire::OnePhaseResult{o->txid, wire::TxOutcome::kCommitted, "", "", {}});
    }
    return {};
  }

  Mode mode_;
  std::string hint_;
  zmq::context_t context_;
  zmq::socket_t router_;
  std::string endpoint_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  mutable std::mutex mu_;
  std::map<wire::MsgType, int> by_type_;  // guarded by mu_
};

}  // namespace shardkit::testing
