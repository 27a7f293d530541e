#include "load/http_reply_parser.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace vigil::load {
namespace {

constexpr size_t kMaxLine = 4096;  // a chunk-size or trailer line

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// Whether the comma-separated list `value` holds `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const size_t comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

void HttpReplyParser::reset(bool head_request) {
  head_request_ = head_request;
  state_ = State::need_more;
  phase_ = Phase::head;
  error_.clear();
  status_ = 0;
  keep_alive_ = true;
  head_.clear();
  headers_.clear();
  body_.clear();
  remaining_ = 0;
  line_.clear();
  wire_bytes_ = 0;
}

void HttpReplyParser::fail(std::string why) {
  state_ = State::error;
  error_ = std::move(why);
  keep_alive_ = false;
}

void HttpReplyParser::complete() {
  state_ = State::done;
  phase_ = Phase::finished;
}

size_t HttpReplyParser::feed(const char* data, size_t n) {
  size_t used = 0;
  while (used < n && state_ == State::need_more) {
    const char* p = data + used;
    const size_t left = n - used;
    switch (phase_) {
      case Phase::head: used += feed_head(p, left); break;
      case Phase::body_length: {
        const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, left));
        body_.append(p, take);
        used += take;
        remaining_ -= take;
        if (remaining_ == 0) complete();
        break;
      }
      case Phase::body_until_eof:
        if (body_.size() + left > kMaxBody) return fail("the body is larger than 64 MiB"), used;
        body_.append(p, left);
        used = n;
        break;
      case Phase::finished: return used;
      default: used += feed_chunked(p, left); break;
    }
  }
  wire_bytes_ += used;
  return used;
}

size_t HttpReplyParser::feed_head(const char* data, size_t n) {
  if (head_.empty()) {
    // The usual case: the whole head arrives in one read. One pass finds the line ends and the
    // empty line; only the head is copied.
    const size_t limit = std::min(n, kMaxHead);
    line_ends_.clear();
    for (size_t pos = 0; pos < limit;) {
      const auto* lf = static_cast<const char*>(std::memchr(data + pos, '\n', limit - pos));
      if (!lf) break;
      const size_t eol = static_cast<size_t>(lf - data);
      const bool empty = eol == pos || (eol == pos + 1 && data[pos] == '\r');
      line_ends_.push_back(eol);
      pos = eol + 1;
      if (empty && line_ends_.size() > 1) {
        head_.assign(data, pos);
        parse_head();
        return pos;
      }
    }
  }
  const size_t before = head_.size();
  head_.append(data, std::min(n, kMaxHead + 4 - before));
  const size_t from = before >= 3 ? before - 3 : 0;
  const size_t end = head_.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    if (head_.size() > kMaxHead) fail("the status line and headers are larger than 64 KiB");
    return n;
  }
  const size_t head_size = end + 4;
  const size_t used = head_size - before;
  head_.resize(head_size);
  line_ends_.clear();
  for (size_t pos = 0; pos < head_size;) {
    const size_t eol = head_.find('\n', pos);
    line_ends_.push_back(eol);
    pos = eol + 1;
  }
  parse_head();
  return used;
}

void HttpReplyParser::parse_head() {
  const std::string_view all(head_);
  // The line `i` of the head, without its CR LF; the last line is the empty one.
  auto line_at = [&](size_t i) {
    const size_t from = i == 0 ? 0 : line_ends_[i - 1] + 1;
    size_t end = line_ends_[i];
    if (end > from && all[end - 1] == '\r') --end;
    return all.substr(from, end - from);
  };
  // "HTTP/1.1 200 OK"
  const std::string_view status_line = line_at(0);
  if (status_line.size() < 12 || status_line.compare(0, 7, "HTTP/1.") != 0 ||
      (status_line[7] != '0' && status_line[7] != '1') || status_line[8] != ' ' ||
      !std::isdigit(static_cast<unsigned char>(status_line[9])) ||
      !std::isdigit(static_cast<unsigned char>(status_line[10])) ||
      !std::isdigit(static_cast<unsigned char>(status_line[11])) ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    fail("not an HTTP/1.x reply: \"" + std::string(status_line.substr(0, 40)) + "\"");
    return;
  }
  const bool http11 = status_line[7] == '1';
  status_ = (status_line[9] - '0') * 100 + (status_line[10] - '0') * 10 + (status_line[11] - '0');
  bool chunked = false, close = false, keep_alive_token = false, has_length = false;
  uint64_t length = 0;
  headers_.clear();
  for (size_t i = 1; i + 1 < line_ends_.size(); ++i) {
    const std::string_view line = line_at(i);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || line[0] == ' ' || line[0] == '\t') {
      fail("malformed header line \"" + std::string(line.substr(0, 60)) + "\"");
      return;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    headers_.emplace_back(name, value);
    // Only three names matter here; their lengths tell them apart before any comparison.
    if (name.size() != 14 && name.size() != 17 && name.size() != 10) continue;
    if (iequals(name, "content-length")) {
      uint64_t v = 0;
      if (value.empty() || value.size() > 18 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        fail("Content-Length \"" + std::string(value) + "\" is not a number");
        return;
      }
      for (char c : value) v = v * 10 + static_cast<uint64_t>(c - '0');
      if (has_length && v != length) {
        fail("two different Content-Length headers");
        return;
      }
      has_length = true;
      length = v;
    } else if (iequals(name, "transfer-encoding")) {
      chunked = has_token(value, "chunked");
    } else if (iequals(name, "connection")) {
      close = close || has_token(value, "close");
      keep_alive_token = keep_alive_token || has_token(value, "keep-alive");
    }
  }
  keep_alive_ = http11 ? !close : (keep_alive_token && !close);
  if (status_ >= 100 && status_ < 200 && status_ != 101) {  // interim: the real reply follows
    head_.clear();
    headers_.clear();
    return;
  }
  if (status_ == 101) keep_alive_ = false;  // the connection now speaks another protocol
  if (head_request_ || status_ < 200 || status_ == 204 || status_ == 304) {
    complete();
  } else if (chunked) {
    phase_ = Phase::chunk_size;
  } else if (has_length) {
    if (length > kMaxBody) {
      fail("the body is larger than 64 MiB (Content-Length " + std::to_string(length) + ")");
      return;
    }
    body_.reserve(static_cast<size_t>(length));
    remaining_ = length;
    if (length == 0)
      complete();
    else
      phase_ = Phase::body_length;
  } else {
    phase_ = Phase::body_until_eof;
    keep_alive_ = false;
  }
}

size_t HttpReplyParser::feed_chunked(const char* data, size_t n) {
  if (phase_ == Phase::chunk_data) {
    const size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, n));
    body_.append(data, take);
    remaining_ -= take;
    if (remaining_ == 0) phase_ = Phase::chunk_data_end;
    return take;
  }
  // The other phases read one line.
  const char* nl = static_cast<const char*>(std::memchr(data, '\n', n));
  const size_t take = nl ? static_cast<size_t>(nl - data) + 1 : n;
  line_.append(data, take);
  if (line_.size() > kMaxLine) {
    fail("a chunk-size or trailer line is longer than 4 KiB");
    return take;
  }
  if (!nl) return take;
  std::string_view line(line_);
  line.remove_suffix(1);  // '\n'
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  switch (phase_) {
    case Phase::chunk_size: {
      const std::string_view hex = trim(line.substr(0, line.find(';')));
      uint64_t size = 0;
      if (hex.empty() || hex.size() > 15) {
        fail("bad chunk size \"" + std::string(line.substr(0, 40)) + "\"");
        return take;
      }
      for (char c : hex) {
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0) {
          fail("bad chunk size \"" + std::string(line.substr(0, 40)) + "\"");
          return take;
        }
        size = size * 16 + static_cast<uint64_t>(d);
      }
      if (body_.size() + size > kMaxBody) {
        fail("the body is larger than 64 MiB");
        return take;
      }
      remaining_ = size;
      phase_ = size == 0 ? Phase::trailers : Phase::chunk_data;
      break;
    }
    case Phase::chunk_data_end:
      if (!line.empty()) {
        fail("a chunk is longer than its size");
        return take;
      }
      phase_ = Phase::chunk_size;
      break;
    default:  // trailers: skipped up to the empty line
      if (line.empty()) complete();
      break;
  }
  line_.clear();
  return take;
}

void HttpReplyParser::finish_eof() {
  if (state_ != State::need_more) return;
  if (phase_ == Phase::body_until_eof) {
    complete();
    return;
  }
  fail(wire_bytes_ == 0 ? "the connection closed before any reply"
                        : "the connection closed before the reply was complete");
}

}  // namespace vigil::load
