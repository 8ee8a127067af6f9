#pragma once
// The two socket chores every listener has: writing a whole answer to a non-blocking fd (a
// serial line or a socket) without waiting on a peer that does not read, and the port a
// listening socket was bound to.
#include <cstdint>
#include <span>

namespace sealwatch::sim {

// Writes `bytes`, waiting up to a second in all for a full buffer to drain; returns whether
// all of them went.
bool write_all(int fd, std::span<const uint8_t> bytes);

// The local port of a bound socket (IPv4 or IPv6); 0 if it has none.
uint16_t bound_port(int fd);

}  // namespace sealwatch::sim
