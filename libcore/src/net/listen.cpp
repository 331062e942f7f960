#include "shardkit/net/listen.h"

#include "shardkit/net/curve.h"
#include "shardkit/net/endpoint.h"
#include "shardkit/net/socket.h"
#include "zmq_c.h"

namespace shardkit::net {
Result<zmq::socket_t> Listen(zmq::context_t& context, const ListenOptions& options,
                             zmq::socket_type type, ZapHandler* zap) {
  const bool curve = !options.curve_secret_file.empty();
  if (!curve && !options.allow.empty()) {
    return Status::Usage("--allow needs --curve-secret: client keys are only checked with CURVE");
  }
  SK_RETURN_IF_ERROR(CheckListenPolicy(options.endpoint, curve, options.insecure));

  std::string domain;
  Keypair server;
  if (curve) {
    if (options.allow.empty()) {
      return Status::Usage(
          "--curve-secret needs --allow FILE|DIR: without it any client key "
          "would be accepted");
    }
    if (zap == nullptr) {
      return Status::Internal("CURVE listen on " + options.endpoint + " without a ZAP handler");
    }
    auto keys = ReadSecretFile(options.curve_secret_file);
    if (!keys.ok()) return keys.status();
    server = std::move(*keys);
    auto allowed = LoadAllowList(options.allow);
    if (!allowed.ok()) return allowed.status();
    auto added = zap->AddCurveDomain(*allowed);
    if (!added.ok()) return added.status();
    domain = std::move(*added);
  }

  auto socket = MakeSocket(context, type);
  if (!socket.ok()) return socket.status();
  if (curve) {
    SK_RETURN_IF_ERROR(SetIntOption(*socket, ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER"));
    SK_RETURN_IF_ERROR(
        SetStringOption(*socket, ZMQ_CURVE_SECRETKEY, server.secret_z85, "ZMQ_CURVE_SECRETKEY"));
    SK_RETURN_IF_ERROR(SetStringOption(*socket, ZMQ_ZAP_DOMAIN, domain, "ZMQ_ZAP_DOMAIN"));
  }
  SK_RETURN_IF_ERROR(BindEndpoint(*socket, options.endpoint));
  return socket;
}

}  // namespace shardkit::net
