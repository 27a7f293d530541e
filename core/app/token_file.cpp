#include "app/token_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include "config/bounded_read.h"
#include "log/secret_values.h"

namespace vigil::app {

Result<std::string> read_token_file(const std::string& path, const std::string& what, config::FileSource source) {
  config::FileFacts facts;
  auto text = config::read_bounded_file(path, 4096, what, source, &facts);
  if (!text.ok()) return Status::error(text.message() + " (create it with the token on its first line)");
  // A stream (--token-file <(pass show vigil)) is private to whoever opened it. A file must be
  // the agent's user's or root's, and only they (and a group, for reading) may use it.
  if (facts.regular && facts.uid != 0 && facts.uid != ::geteuid())
    return Status::error(what + " " + path + " is owned by uid " + std::to_string(facts.uid) +
                         ", neither root nor this user, who could change the token (fix with: chown root '" + path +
                         "')");
  if (facts.regular && (facts.mode & (S_IWGRP | S_IRWXO)))
    return Status::error(what + " " + path +
                         " can be read or written by others (or written by its group), who could then make changes "
                         "through the API (fix with: chmod 600 '" +
                         path + "', or 640 for a group)");
  std::string token = text.value().substr(0, text.value().find('\n'));
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) return Status::error(what + " " + path + " holds no token on its first line");
  log::add_secret(token);
  return token;
}

}  // namespace vigil::app
