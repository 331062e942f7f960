#include "shardkit/net/endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace shardkit::net {
namespace {

// sizeof(sockaddr_un::sun_path) - 1 on Linux: libzmq fails longer paths
// with ENAMETOOLONG at bind time.
constexpr size_t kMaxIpcPath = 107;
constexpr size_t kMaxHostName = 253;

struct TcpParts {
  std::string_view host;  // brackets kept for IPv6
  std::string_view port;
};

std::string Quote(std::string_view s) {
  std::string quoted;
  quoted.reserve(s.size() + 2);
  return quoted.append("'").append(s).append("'");
}

bool IsDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

bool ParseIPv4(std::string_view s, in_addr* out) {
  const std::string z(s);
  return inet_pton(AF_INET, z.c_str(), out) == 1;
}

// Parses "[addr]" or "[addr%scope]" as IPv6.
bool ParseBracketedIPv6(std::string_view host, in6_addr* out) {
  if (host.size() < 3 || host.front() != '[' || host.back() != ']') return false;
  std::string_view inner = host.substr(1, host.size() - 2);
  if (const size_t pct = inner.find('%'); pct != std::string_view::npos) {
    if (pct + 1 == inner.size()) return false;  // an empty scope
    inner = inner.substr(0, pct);
  }
  const std::string z(inner);
  return inet_pton(AF_INET6, z.c_str(), out) == 1;
}

bool IsHostName(std::string_view host) {
  if (host.empty() || host.size() > kMaxHostName) return false;
  size_t label = 0;
  for (const char ch : host) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '.') {
      if (label == 0) return false;  // empty label
      label = 0;
    } else if (std::isalnum(c) || c == '-' || c == '_') {
      if (++label > 63) return false;
    } else {
      return false;
    }
  }
  return true;
}

Status SplitTcp(std::string_view endpoint, std::string_view rest, TcpParts* out) {
  const std::string ep = Quote(endpoint);
  if (rest.empty()) return Status::Usage("endpoint " + ep + " has no host");
  size_t colon;
  if (rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      return Status::Usage("endpoint " + ep + " has an unterminated '[' in its host");
    }
    colon = close + 1;
    if (colon >= rest.size() || rest[colon] != ':') {
      return Status::Usage("endpoint " + ep + " has no port (expected tcp://[ADDR]:PORT)");
    }
  } else {
    colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::Usage("endpoint " + ep + " has no port (expected tcp://HOST:PORT)");
    }
  }
  out->host = rest.substr(0, colon);
  out->port = rest.substr(colon + 1);
  if (out->host.empty()) return Status::Usage("endpoint " + ep + " has no host");
  return Status::Ok();
}

Status ValidateTcp(std::string_view endpoint, std::string_view rest) {
  TcpParts parts;
  SK_RETURN_IF_ERROR(SplitTcp(endpoint, rest, &parts));
  const std::string ep = Quote(endpoint);
  const std::string_view host = parts.host;
  if (host == "*") {
    // any interface
  } else if (host.front() == '[') {
    in6_addr a6;
    if (!ParseBracketedIPv6(host, &a6)) {
      return Status::Usage("invalid IPv6 address " + Quote(host) + " in " + ep);
    }
  } else if (host.find(':') != std::string_view::npos) {
    return Status::Usage("IPv6 address in " + ep + " must be in brackets, e.g. tcp://[::1]:7100");
  } else if (host.find_first_not_of("0123456789.") == std::string_view::npos) {
    in_addr a4;
    if (!ParseIPv4(host, &a4)) {
      return Status::Usage("invalid IPv4 address " + Quote(host) + " in " + ep);
    }
  } else if (!IsHostName(host)) {
    return Status::Usage("invalid host " + Quote(host) + " in " + ep);
  }

  const std::string_view port = parts.port;
  if (port == "*") return Status::Ok();
  if (!IsDigits(port) || port.size() > 5 || std::stoul(std::string(port)) > 65535) {
    return Status::Usage("invalid port " + Quote(port) + " in " + ep +
                         " (expected 0-65535 or '*')");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateEndpoint(std::string_view endpoint) {
  const std::string ep = Quote(endpoint);
  const size_t sep = endpoint.find("://");
  if (sep == std::string_view::npos) {
    return Status::Usage("endpoint " + ep +
                         " has no transport; expected tcp://HOST:PORT, ipc://PATH or "
                         "inproc://NAME");
  }
  const std::string_view transport = endpoint.substr(0, sep);
  const std::string_view rest = endpoint.substr(sep + 3);
  if (rest.find('\0') != std::string_view::npos) {
    return Status::Usage("endpoint " + ep + " contains a NUL byte");
  }
  if (transport == "tcp") return ValidateTcp(endpoint, rest);
  if (transport == "ipc") {
    if (rest.empty()) return Status::Usage("endpoint " + ep + " has an empty path");
    if (rest.size() > kMaxIpcPath) {
      return Status::Usage("ipc path in " + ep + " is " + std::to_string(rest.size()) +
                           " bytes, max " + std::to_string(kMaxIpcPath));
    }
    return Status::Ok();
  }
  if (transport == "inproc") {
    if (rest.empty()) return Status::Usage("endpoint " + ep + " has an empty name");
    return Status::Ok();
  }
  return Status::Usage("unsupported transport " + Quote(transport) + " in " + ep +
                       "; expected tcp://, ipc:// or inproc://");
}

bool IsLoopback(std::string_view endpoint) {
  if (!ValidateEndpoint(endpoint).ok()) return false;
  if (endpoint.starts_with("ipc://") || endpoint.starts_with("inproc://")) return true;
  TcpParts parts;
  if (!SplitTcp(endpoint, endpoint.substr(6), &parts).ok()) return false;
  std::string host(parts.host);
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (host == "localhost") return true;
  in_addr a4;
  if (ParseIPv4(host, &a4)) return (ntohl(a4.s_addr) >> 24) == 127;
  in6_addr a6;
  if (ParseBracketedIPv6(host, &a6)) {
    if (IN6_IS_ADDR_LOOPBACK(&a6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
  }
  return false;
}

Status CheckListenPolicy(std::string_view endpoint, bool curve, bool insecure) {
  SK_RETURN_IF_ERROR(ValidateEndpoint(endpoint));
  if (curve || insecure || IsLoopback(endpoint)) return Status::Ok();
  return Status::Config("refusing to listen on " + std::string(endpoint) +
                        " without CURVE; pass --curve-secret FILE or --insecure");
}

}  // namespace shardkit::net
