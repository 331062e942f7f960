#include "shardkit/net/connect.h"

#include "shardkit/net/curve.h"
#include "shardkit/net/endpoint.h"
#include "shardkit/net/socket.h"
#include "zmq_c.h"

namespace shardkit::net {

Result<zmq::socket_t> Connect(zmq::context_t& context, const ConnectOptions& options,
                              zmq::socket_type type) {
  SK_RETURN_IF_ERROR(ValidateEndpoint(options.endpoint));
  const bool curve = !options.server_key.empty();
  if (!curve && !options.curve_secret_file.empty()) {
    return Status::Usage("a client --curve-secret needs --server-key for " + options.endpoint);
  }
  Keypair client;
  if (curve) {
    if (!IsZ85Key(options.server_key)) {
      return Status::Usage("invalid server key for " + options.endpoint +
                           " (expected 40 z85 characters)");
    }
    auto keys = options.curve_secret_file.empty() ? GenerateKeypair()
                                                  : ReadSecretFile(options.curve_secret_file);
    if (!keys.ok()) return keys.status();
    client = std::move(*keys);
  }

  auto socket = MakeSocket(context, type);
  if (!socket.ok()) return socket.status();
  SK_RETURN_IF_ERROR(
      SetIntOption(*socket, ZMQ_IMMEDIATE, options.immediate ? 1 : 0, "ZMQ_IMMEDIATE"));
  if (curve) {
    SK_RETURN_IF_ERROR(
        SetStringOption(*socket, ZMQ_CURVE_SERVERKEY, options.server_key, "ZMQ_CURVE_SERVERKEY"));
    SK_RETURN_IF_ERROR(
        SetStringOption(*socket, ZMQ_CURVE_PUBLICKEY, client.public_z85, "ZMQ_CURVE_PUBLICKEY"));
    SK_RETURN_IF_ERROR(
        SetStringOption(*socket, ZMQ_CURVE_SECRETKEY, client.secret_z85, "ZMQ_CURVE_SECRETKEY"));
  }
  SK_RETURN_IF_ERROR(ConnectEndpoint(*socket, options.endpoint));
  return socket;
}

}  // namespace shardkit::net
