// A small RAII layer over SQLite: a Database (one connection, WAL journal, busy timeout) and
// prepared Statements with typed binds and columns. Errors come back as Status with SQLite's
// message and the file; nothing throws.
//
// Thread-safety: a Database is used by one thread at a time (callers hold their own mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace vigil::sqlite {

class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  // Binds are 1-based, as in SQLite.
  Statement& bind(int i, int64_t v);
  Statement& bind(int i, std::string_view v);
  Statement& bind_null(int i);
  // Steps once: true while there is a row, false when done; errors in status().
  bool step();
  // Runs to completion (for statements without rows).
  Status run();
  void reset();
  const Status& status() const { return status_; }

  int64_t int64(int col) const;
  std::string text(int col) const;
  bool is_null(int col) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* s, std::string file) : stmt_(s), file_(std::move(file)) {}
  sqlite3_stmt* stmt_ = nullptr;
  std::string file_;
  Status status_;
};

class Database {
 public:
  // Opens (creating it and its directory) in WAL mode with synchronous=NORMAL: a commit
  // survives the process being killed; the file stays consistent on power loss. With `durable`,
  // synchronous=FULL: a commit is on disk (fsync) when it returns, so it survives a power loss
  // or a failing disk too.
  static Result<std::unique_ptr<Database>> open(const std::string& path, bool durable = false);

  // Whether the file at path() is still the one this connection opened.
  enum class FileState { same, missing, replaced };
  FileState file_state() const;
  // Copies the whole database, as this connection sees it, into a new file at `dest`
  // (rollback journal, so nothing is left beside it).
  Status backup_to(const std::string& dest);
  ~Database();

  Status exec(const std::string& sql);
  Result<Statement> prepare(const std::string& sql);
  int64_t last_insert_id() const;
  int64_t changes() const;
  const std::string& path() const { return path_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  unsigned long long dev_ = 0, ino_ = 0;  // the file opened
};

// BEGIN IMMEDIATE ... COMMIT, rolled back if not committed.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Status commit();
  const Status& begun() const { return begun_; }

 private:
  Database& db_;
  Status begun_;
  bool done_ = false;
};

}  // namespace vigil::sqlite
