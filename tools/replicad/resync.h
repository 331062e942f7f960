// Full resync (DESIGN.md §8): when the records a replica needs are no
// longer retained, the primary sends its newest snapshot file as it is on
// disk, in chunks, and the replica's writer installs it (LINK_INSTALL);
// streaming then continues after the snapshot's LSN.
//
// The core (repl/member.h, driver contract 6) asks for a transfer with
// SendSnapshot{to, session} and wants exactly one ResyncSent back for each,
// also when it fails; the replica's core decides whether a received
// snapshot is installed (SnapshotProgress, InstallSnapshot).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "shardkit/net/unique_fd.h"
#include "shardkit/repl/epochs.h"
#include "shardkit/status/status.h"
#include "shardkit/wire/repl_messages.h"

namespace replicad {

inline constexpr size_t kChunkBytes = size_t{1} << 20;

// The primary's side: one transfer at a time, pumped from a timer; the
// other requests wait in order, and a later request for a replica replaces
// the one it has waiting.
class ResyncSender {
 public:
  struct Request {
    std::string to;
    uint64_t session = 0;             // SendSnapshot::session, stamped on every chunk
    uint64_t epoch = 0;               // the primary's epoch (ReplSnapshotChunk::epoch)
    shardkit::repl::History history;  // to tell the epoch of the snapshot's last record
  };
  // How a transfer ended: the last chunk went out (status ok), or it could
  // not be done (no snapshot, an I/O error) and nothing more will be sent.
  struct Done {
    std::string to;
    uint64_t session = 0;
    uint64_t lsn = 0;
    uint64_t snapshot_epoch = 0;
    shardkit::Status status;
  };
  using SendFn = std::function<void(const std::string&, const shardkit::wire::ReplSnapshotChunk&)>;

  explicit ResyncSender(std::string data_dir) : data_dir_(std::move(data_dir)) {}

  // Queues a transfer of the newest snapshot in DIR/snap, taken when the
  // transfer starts. Returns the request it replaced, if any: that one
  // ends without a transfer and is owed its answer (status Temporary).
  std::optional<Done> Queue(Request request);
  // A replica said HELLO in `session`: a request for it from an older
  // session that is still waiting (not being sent) will only be refused
  // there. Drops it and returns it, owed its answer (status Temporary).
  std::optional<Done> Supersede(const std::string& to, uint64_t session);
  // Sends up to a few chunks through `send`, starting the next transfer
  // when idle. Returns the transfers that ended meanwhile (at most one that
  // was sent, plus those that failed to start). A transfer starts only from
  // a snapshot at or above `min_lsn`: the replica must continue from the
  // log after it, and an older one's is no longer all retained. Until one
  // exists the next request waits (waiting_for() says for which LSN); 0
  // takes whatever is newest.
  std::vector<Done> Pump(const SendFn& send, uint64_t min_lsn = 0);

  bool busy() const { return fd_.get() >= 0 || !queue_.empty(); }
  bool sending() const { return fd_.get() >= 0; }
  size_t queued() const { return queue_.size(); }
  uint64_t waiting_for() const { return waiting_for_; }

 private:
  // Opens the newest snapshot for `r`; fails with nothing left open.
  shardkit::Status Begin(Request r);

  std::string data_dir_;
  std::deque<Request> queue_;
  // The transfer in progress (fd_ open). The file stays open, so the
  // writer deleting it meanwhile does not matter.
  shardkit::net::UniqueFd fd_;
  Request current_;
  uint64_t lsn_ = 0;
  uint64_t snapshot_epoch_ = 0;
  uint64_t offset_ = 0;
  uint64_t total_ = 0;
  uint64_t waiting_for_ = 0;
};

// The replica's side: writes DIR/resync.tmp in order and fsyncs it; the
// file is handed to the writer only when the core asks (Install).
class ResyncReceiver {
 public:
  explicit ResyncReceiver(std::string data_dir) : data_dir_(std::move(data_dir)) {}

  // Ok(true) when `chunk` completed the file (fsynced); Ok(false) when more
  // is expected. A chunk at offset 0 starts a new file; any other chunk
  // must continue the one being received (same snapshot, session and
  // size, at the next offset) and is refused otherwise. Refused while the
  // writer installs the last file.
  shardkit::Result<bool> Add(const shardkit::wire::ReplSnapshotChunk& chunk);
  // Bytes of the current file received so far.
  uint64_t received() const { return written_; }

  // The complete file, not handed over yet.
  bool complete() const { return state_ == State::kComplete; }
  // The writer was told to install it (LINK_INSTALL); waiting for its
  // progress to show the snapshot.
  bool installing() const { return state_ == State::kInstalling; }
  void MarkInstalling() { state_ = State::kInstalling; }
  // Installed, or not wanted: forgets the file (removing it if unwanted).
  void Done() { state_ = State::kIdle; }
  void Discard();

  const std::string& path() const { return path_; }
  uint64_t lsn() const { return lsn_; }
  uint64_t epoch() const { return epoch_; }

 private:
  enum class State : uint8_t { kIdle, kReceiving, kComplete, kInstalling };
  std::string data_dir_;
  State state_ = State::kIdle;
  shardkit::net::UniqueFd fd_;
  std::string path_;
  uint64_t lsn_ = 0;
  uint64_t epoch_ = 0;
  uint64_t session_ = 0;
  uint64_t total_ = 0;
  uint64_t written_ = 0;
};

}  // namespace replicad
