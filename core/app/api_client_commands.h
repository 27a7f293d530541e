// amtool-like commands that talk to a running agent's API: `vigil alerts`, `vigil silence
// add|list|expire`, `vigil ack`. Human-readable tables by default, `--output json` for scripts.
// Exit status: 0 success, 1 the agent could not be reached or refused the call, 2 usage.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace vigil::app {

struct ApiTarget {
  std::string url = "http://127.0.0.1:9479";  // --url, or $VIGIL_URL
  std::string token;                          // --token-file, or $VIGIL_API_TOKEN
  bool json = false;                          // --output json
};

int cmd_alerts(const ApiTarget& t, const std::vector<std::string>& filters, const std::string& state, std::ostream& out,
               std::ostream& err);
int cmd_silence_add(const ApiTarget& t, const std::vector<std::string>& matchers, const std::string& duration,
                    const std::string& author, const std::string& comment, std::ostream& out, std::ostream& err);
int cmd_silence_list(const ApiTarget& t, const std::string& state, std::ostream& out, std::ostream& err);
int cmd_silence_expire(const ApiTarget& t, const std::vector<std::string>& ids, std::ostream& out, std::ostream& err);
int cmd_ack(const ApiTarget& t, const std::string& fingerprint, const std::string& author, const std::string& comment,
            const std::string& expires_in, bool remove, std::ostream& out, std::ostream& err);

}  // namespace vigil::app
