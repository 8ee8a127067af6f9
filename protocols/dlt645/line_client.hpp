#pragma once
// The DL/T 645 client over a real line: a serial device or a TCP socket to a transparent DTU.
#include <chrono>
#include <string>
#include <variant>

#include "dlt645/client.hpp"
#include "dlt645/line.hpp"

namespace sealwatch::dlt645 {

struct TcpSettings {
    std::string host;
    int port = 0;
};

struct Timing {
    // From the end of the request to the first byte of the reply. A meter at 2400 baud takes
    // up to 500 ms to begin, and the reply itself 100 ms or so.
    std::chrono::milliseconds response_timeout{1000};
    // Longest silence inside a reply once it has begun.
    std::chrono::milliseconds byte_timeout{100};
    // Silence kept on the line after each exchange: RS-485 converters and meters need time to
    // turn the line around before the next request.
    std::chrono::milliseconds inter_frame_delay{20};
    size_t preamble = kDefaultPreamble;  // FE bytes before each request
};

class LineClient final : public Client {
  public:
    LineClient(std::variant<SerialSettings, TcpSettings> line, Timing timing);
    ~LineClient() override;
    LineClient(const LineClient&) = delete;
    LineClient& operator=(const LineClient&) = delete;

    tl::expected<void, ExchangeError> connect() override;
    void disconnect() override;
    bool connected() const override { return fd_ >= 0; }
    tl::expected<Reply, ExchangeError> exchange(const Frame& request) override;
    std::string describe() const override;

  private:
    bool is_tcp() const { return std::holds_alternative<TcpSettings>(line_); }
    tl::expected<void, ExchangeError> send(const std::vector<uint8_t>& bytes);
    void drain_input();

    std::variant<SerialSettings, TcpSettings> line_;
    Timing timing_;
    int fd_ = -1;
    std::chrono::steady_clock::time_point quiet_until_{};
};

}  // namespace sealwatch::dlt645
