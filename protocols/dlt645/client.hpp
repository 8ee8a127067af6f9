#pragma once
// A DL/T 645 master as its users see it: send one request, get the reply that answers it,
// errors as values. Two implementations keep the same contract: LineClient over a serial
// device or a TCP socket (dlt645/line_client.hpp) and a scripted fake for tests. One client
// per bus; not thread-safe (a bus is driven by one thread, strictly one request at a time).
#include <string>
#include <string_view>

#include <tl/expected.hpp>

#include "dlt645/exchange.hpp"
#include "dlt645/frame.hpp"

namespace sealwatch::dlt645 {

enum class ErrorKind {
    timeout,    // no answer in time: the meter is absent, unpowered or too slow
    bad_frame,  // frames came but none answered the request (garbled, another meter, late)
    link,       // the serial port or the connection itself failed
};
std::string_view to_string(ErrorKind kind);

struct ExchangeError {
    ErrorKind kind = ErrorKind::link;
    std::string message;
};

// The contract:
// - exchange() connects first when not connected; a failed connect is a `link` error.
// - An error reply is not an error here: it is a Reply with `refused` set (the meter is alive).
// - Frames that do not answer the request (check_reply() fails: a late reply, another meter's)
//   are skipped while the time lasts; if nothing better came, the error is `bad_frame` and
//   says why the last one was rejected.
// - After `link` the client is disconnected; after `bad_frame` a TCP client is disconnected
//   too (a transparent DTU may hold half a frame); after `timeout` it stays connected.
class Client {
  public:
    virtual ~Client() = default;

    virtual tl::expected<void, ExchangeError> connect() = 0;
    virtual void disconnect() = 0;
    virtual bool connected() const = 0;

    virtual tl::expected<Reply, ExchangeError> exchange(const Frame& request) = 0;

    virtual std::string describe() const = 0;  // "dlt645 /dev/ttyS1 2400 8E1", "dlt645 tcp h:p"
};

}  // namespace sealwatch::dlt645
