#pragma once
// The API token kept in a file: [http] api_token_file, and the commands' --token-file.

#include <string>

#include "base/status.h"
#include "config/bounded_read.h"

namespace vigil::app {

// The token on the first line of `path`: a small regular file owned by root or this user that
// others can neither read nor write and its group cannot write (chmod 600, or 640 for a group),
// or a stream such as `<(pass show vigil)`. `what` names it in errors. The token is registered
// as a secret (log/secret_values.h).
// The agent itself reads regular files only (config::FileSource::regular_only): a FIFO would
// block it.
Result<std::string> read_token_file(const std::string& path, const std::string& what, config::FileSource source);

}  // namespace vigil::app
