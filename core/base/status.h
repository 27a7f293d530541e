// Status and Result<T>: how errors cross module boundaries inside vigil.
//
// A Status is either ok or carries a message that names what is wrong, where, and how to fix
// it. Result<T> holds a value or an error Status. Both are cheap to move and thread-compatible.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace vigil {

class Status {
 public:
  Status() = default;
  static Status error(std::string message) { return Status(std::move(message)); }

  bool ok() const noexcept { return !failed_; }
  const std::string& message() const noexcept { return message_; }

 private:
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}
  bool failed_ = false;
  std::string message_;
};

template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status error) : v_(std::move(error)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const noexcept { return std::holds_alternative<T>(v_); }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  // REQUIRES: !ok()
  const Status& status() const { return std::get<Status>(v_); }
  const std::string& message() const { return std::get<Status>(v_).message(); }

 private:
  std::variant<T, Status> v_;
};

// Several independent problems found in one pass (config validation reports them all at once).
using Problems = std::vector<std::string>;

}  // namespace vigil
