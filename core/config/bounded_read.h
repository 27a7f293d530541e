#pragma once
// Reading a file named by the operator (a config, a rule file, a token file, a report) without
// trusting what it is: only a regular file, only up to a size, never blocking on a FIFO or a
// device such as /dev/zero.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace vigil::config {

inline constexpr uint64_t kMaxConfigFileBytes = 16ull << 20;  // configs, included files, rule files

// Where the content may come from. The agent reads regular files only (a FIFO would block it, a
// device never ends); a command given a file by its user may also read a pipe, as in
// `--config <(generate)`, up to max_bytes all the same.
enum class FileSource { regular_only, regular_or_stream };

// Who owns the file that was read, and its mode, from the descriptor that was read (so they
// describe that very file). `regular` is false for a stream.
struct FileFacts {
  uint32_t uid = 0, mode = 0;
  bool regular = false;
};

// The whole content of `path`. Errors name `what` and the path and say how to fix it: not a
// regular file, larger than max_bytes, or unreadable.
Result<std::string> read_bounded_file(const std::string& path, uint64_t max_bytes, std::string_view what,
                                      FileSource source = FileSource::regular_only, FileFacts* facts = nullptr);

}  // namespace vigil::config
