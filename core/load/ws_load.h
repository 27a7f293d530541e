// The WebSocket load engine: `connections` WebSocket connections opened at `connect_rate` a
// second and held for the run, each sending messages the scenario builds and reading until the
// scenario recognises the reply (a correlation id), which measures the round trip. With a rate,
// the messages of all connections together are due at `rate` a second and a round trip counts
// from when its message was due (coordinated omission corrected); without one, each connection
// sends its next message as soon as the last reply arrived. A connection the server drops is
// counted and opened again. Beast's WebSocket headers stay in ws_load.cpp.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "load/http_load.h"
#include "load/run_result.h"

namespace vigil::load {

// [ts]: called from every engine thread.
class WsSource {
 public:
  virtual ~WsSource() = default;
  // Message seq of connection conn; false: this connection sends nothing more.
  virtual Result<bool> build_message(uint64_t conn, uint64_t seq, std::string& out, bool& binary) = 0;
  // true: msg is the reply to seq; false: keep reading; an error: a failed round trip.
  virtual Result<bool> check_message(uint64_t conn, uint64_t seq, std::string_view msg, bool binary) = 0;
};

struct WsOptions {
  LoadOptions load;            // url is ws://host[:port]/path; connections; rate = messages a second in all
  double connect_rate = 1000;  // connections opened a second
};

Result<RunResult> run_ws_load(const WsOptions& options, WsSource& source, const std::atomic<bool>* abort = nullptr,
                              const std::function<void(const Progress&)>& progress = {});

// Raises the soft open-files limit to the hard one; returns the limit in force.
uint64_t raise_fd_limit();

}  // namespace vigil::load
