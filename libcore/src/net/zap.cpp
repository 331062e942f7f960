#include "shardkit/net/zap.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "shardkit/net/curve.h"
#include "shardkit/net/socket.h"
#include "shardkit/net/unique_fd.h"
#include "zmq_c.h"

namespace shardkit::net {
namespace {

using std::chrono::milliseconds;

// A ZAP request is [routing id][empty][version][request id][domain]
// [address][identity][mechanism][credentials...]; PLAIN has two credential
// frames, CURVE one.
constexpr size_t kZapMaxFrames = 16;
constexpr size_t kZapMinFrames = 8;

constexpr milliseconds kMinBackoff{10};
constexpr milliseconds kMaxBackoff{1000};
constexpr auto kHealthyRun = std::chrono::seconds(1);

// Thrown to end a worker quietly when the context is terminating: nothing
// to restart for.
struct ContextTerminated {};

std::string Z85(std::string_view binary_key) {
  char z85[kZ85KeyChars + 1];
  if (binary_key.size() != 32 ||
      zmq_z85_encode(z85, reinterpret_cast<const uint8_t*>(binary_key.data()), 32) == nullptr) {
    return "";
  }
  return z85;
}

}  // namespace

struct ZapHandler::State {
  State(zmq::socket_t s, UniqueFd wake, LogFn log_fn)
      : socket(std::move(s)), wake_fd(std::move(wake)), log(std::move(log_fn)) {}

  void Supervise();
  void RunWorker();
  void Serve();
  void HandleRequest(const std::vector<zmq::message_t>& frames, size_t total);
  void Wake() {
    const uint64_t one = 1;
    // EAGAIN means the counter is already non-zero: the worker is woken.
    (void)!::write(wake_fd.get(), &one, sizeof one);
  }
  void Log(const ZapEvent& event) const {
    if (!log) return;
    try {
      log(event);
    } catch (...) {
      // A logging failure must not take authentication down with it.
    }
  }

  zmq::socket_t socket;  // used only by the running worker; handed over by join()
  UniqueFd wake_fd;      // eventfd: Stop() and the test hook wake the worker
  const LogFn log;

  std::atomic<bool> stop{false};
  std::atomic<bool> kill_requested{false};
  std::atomic<uint64_t> restarts{0};
  std::string worker_failure;  // set by a worker, read by the supervisor after join()

  std::mutex mu;
  std::condition_variable stop_cv;  // wakes the supervisor's backoff sleep; uses mu
  std::map<std::string, std::set<std::string>> domains;  // name -> binary keys; guarded by mu
  uint64_t next_domain = 1;                              // guarded by mu

  std::thread supervisor;
};

void ZapHandler::State::Supervise() {
  milliseconds backoff = kMinBackoff;
  while (!stop) {
    const auto started = std::chrono::steady_clock::now();
    try {
      std::thread worker(&State::RunWorker, this);
      worker.join();
    } catch (const std::system_error& e) {
      worker_failure = std::string("cannot start worker thread: ") + e.what();
    }
    if (stop) return;
    // A worker only returns without stop_ when it died: start another, or
    // every CURVE handshake on this context stalls.
    restarts.fetch_add(1);
    Log({ZapEvent::Kind::kRestart, "", "", "", "", "ZAP worker died: " + worker_failure});
    if (std::chrono::steady_clock::now() - started > kHealthyRun) backoff = kMinBackoff;
    std::unique_lock lock(mu);
    stop_cv.wait_for(lock, backoff, [this] { return stop.load(); });
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

void ZapHandler::State::RunWorker() {
  try {
    Serve();
  } catch (const ContextTerminated&) {
    stop = true;  // the context is going away: nothing to supervise
  } catch (const std::exception& e) {
    worker_failure = e.what();
  } catch (...) {
    worker_failure = "unknown exception";
  }
}

void ZapHandler::State::Serve() {
  std::vector<zmq::message_t> frames;
  while (!stop) {
    zmq_pollitem_t items[2] = {{socket.handle(), 0, ZMQ_POLLIN, 0},
                               {nullptr, wake_fd.get(), ZMQ_POLLIN, 0}};
    if (zmq_poll(items, 2, -1) < 0) {
      const int err = zmq_errno();
      if (err == EINTR) continue;
      if (err == ETERM) throw ContextTerminated{};
      throw std::runtime_error(std::string("zmq_poll: ") + zmq_strerror(err));
    }
    if (items[1].revents & ZMQ_POLLIN) {
      uint64_t count;
      (void)!::read(wake_fd.get(), &count, sizeof count);
    }
    if (stop) return;
    if (kill_requested.exchange(false)) throw std::runtime_error("killed by test hook");
    while (true) {
      auto total = ReceiveFrames(socket, &frames, /*dontwait=*/true, kZapMaxFrames);
      if (!total.ok()) {
        if (total.status().code() == Code::kUnavailable) throw ContextTerminated{};
        throw std::runtime_error(total.status().message());
      }
      if (*total == 0) break;
      HandleRequest(frames, *total);
    }
  }
}

void ZapHandler::State::HandleRequest(const std::vector<zmq::message_t>& frames, size_t total) {
  ZapEvent event;
  if (total < kZapMinFrames || total > frames.size() || frames[1].size() != 0) {
    // libzmq never sends this; without a request id there is nothing to
    // answer, and the handshake times out (ZMQ_HANDSHAKE_IVL).
    event.reason = "malformed ZAP request with " + std::to_string(total) + " frames";
    Log(event);
    return;
  }
  const std::string_view version = View(frames[2]);
  event.domain = std::string(View(frames[4]));
  event.address = std::string(View(frames[5]));
  event.mechanism = std::string(View(frames[7]));
  std::string status_code = "400";
  std::string user_id;
  if (version != "1.0") {
    status_code = "500";
    event.reason = "unsupported ZAP version '" + std::string(version) + "'";
  } else if (event.mechanism != "CURVE") {
    event.reason = "mechanism " + event.mechanism + " refused: CURVE required";
  } else if (total != kZapMinFrames + 1 || frames[8].size() != 32) {
    event.reason = "malformed CURVE credentials";
  } else {
    const std::string key(View(frames[8]));
    event.client_key = Z85(key);
    std::lock_guard lock(mu);
    const auto domain = domains.find(event.domain);
    if (domain == domains.end()) {
      event.reason = "unknown ZAP domain '" + event.domain + "'";
    } else if (domain->second.count(key) == 0) {
      event.reason = "client key not in allow list";
    } else {
      status_code = "200";
      user_id = event.client_key;  // becomes the messages' User-Id property
      event.kind = ZapEvent::Kind::kAllow;
    }
  }
  const std::string status_text = event.kind == ZapEvent::Kind::kAllow ? "OK" : event.reason;
  const std::string_view reply[] = {View(frames[0]), "",          "1.0",   View(frames[3]),
                                    status_code,     status_text, user_id, ""};
  // A failed send means the connecting session is gone: nothing to do.
  (void)SendFrames(socket, reply);
  Log(event);
}

ZapHandler::ZapHandler(std::unique_ptr<State> state) : state_(std::move(state)) {}
ZapHandler::ZapHandler(ZapHandler&&) noexcept = default;
ZapHandler& ZapHandler::operator=(ZapHandler&& other) noexcept {
  if (this != &other) {
    Stop();
    state_ = std::move(other.state_);
  }
  return *this;
}
ZapHandler::~ZapHandler() { Stop(); }

Result<ZapHandler> ZapHandler::Start(zmq::context_t& context, LogFn log) {
  auto socket = MakeSocket(context, zmq::socket_type::router);
  if (!socket.ok()) return socket.status();
  if (zmq_bind(socket->handle(), kZapEndpoint) != 0) {
    const int err = zmq_errno();
    if (err == EADDRINUSE) {
      return Status::Config("a ZAP handler is already running in this ZeroMQ context");
    }
    return ZmqError(std::string("cannot bind ") + kZapEndpoint, err);
  }
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake.valid()) {
    return Status::Internal(std::string("eventfd: ") + std::strerror(errno));
  }
  auto state = std::make_unique<State>(std::move(*socket), std::move(wake), std::move(log));
  try {
    state->supervisor = std::thread(&State::Supervise, state.get());
  } catch (const std::system_error& e) {
    return Status::Internal(std::string("cannot start ZAP supervisor thread: ") + e.what());
  }
  return ZapHandler(std::move(state));
}

Result<std::string> ZapHandler::AddCurveDomain(const std::vector<std::string>& client_keys) {
  if (client_keys.empty()) {
    return Status::DataError("empty allow list: every client would be refused");
  }
  std::set<std::string> keys;
  for (const std::string& z85 : client_keys) {
    uint8_t binary[32];
    if (!IsZ85Key(z85) || zmq_z85_decode(binary, z85.c_str()) == nullptr) {
      return Status::DataError("invalid client key '" + z85 + "'");
    }
    keys.emplace(reinterpret_cast<const char*>(binary), sizeof binary);
  }
  std::lock_guard lock(state_->mu);
  std::string name = "shardkit-" + std::to_string(state_->next_domain++);
  state_->domains.emplace(name, std::move(keys));
  return name;
}

void ZapHandler::Stop() {
  if (!state_ || !state_->supervisor.joinable()) return;
  {
    // Under mu so the supervisor cannot miss the wake-up between checking
    // stop and sleeping.
    std::lock_guard lock(state_->mu);
    state_->stop = true;
  }
  state_->stop_cv.notify_all();
  state_->Wake();
  state_->supervisor.join();
  state_->socket.close();  // unbinds kZapEndpoint so a new handler can bind
}

uint64_t ZapHandler::restarts() const { return state_ ? state_->restarts.load() : 0; }

void ZapHandler::KillWorkerForTesting() {
  state_->kill_requested = true;
  state_->Wake();
}

}  // namespace shardkit::net
