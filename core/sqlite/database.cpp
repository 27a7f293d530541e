#include "sqlite/database.h"

#include <sqlite3.h>

#include <sys/stat.h>

#include <filesystem>

namespace vigil::sqlite {

Statement::Statement(Statement&& o) noexcept
    : stmt_(std::exchange(o.stmt_, nullptr)), file_(std::move(o.file_)), status_(std::move(o.status_)) {}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    stmt_ = std::exchange(o.stmt_, nullptr);
    file_ = std::move(o.file_);
    status_ = std::move(o.status_);
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

Statement& Statement::bind(int i, std::string_view v) {
  sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_null(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE)
    status_ = Status::error(file_ + ": " + sqlite3_errmsg(sqlite3_db_handle(stmt_)) + " (SQLite code " +
                            std::to_string(rc) + ")");
  return false;
}

Status Statement::run() {
  while (step()) {
  }
  Status st = status_;
  reset();
  return st;
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  status_ = {};
}

int64_t Statement::int64(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

std::string Statement::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}

bool Statement::is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

Result<std::unique_ptr<Database>> Database::open(const std::string& path, bool durable) {
  std::error_code ec;
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec)
    return Status::error("cannot create directory " + dir.string() + ": " + ec.message() +
                         " (set [agent] state_dir to a writable directory)");
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    if (db) sqlite3_close(db);
    return Status::error(path + ": cannot open the database: " + msg + " (check that [agent] state_dir is writable)");
  }
  std::unique_ptr<Database> out(new Database(db, path));
  sqlite3_busy_timeout(db, 5000);
  for (const char* pragma :
       {"PRAGMA journal_mode=WAL", durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL",
        "PRAGMA foreign_keys=ON"}) {
    if (auto st = out->exec(pragma); !st.ok()) return st;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    out->dev_ = st.st_dev;
    out->ino_ = st.st_ino;
  }
  return out;
}

Database::FileState Database::file_state() const {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return FileState::missing;
  return st.st_dev == dev_ && st.st_ino == ino_ ? FileState::same : FileState::replaced;
}

Status Database::backup_to(const std::string& dest) {
  sqlite3* out = nullptr;
  if (sqlite3_open_v2(dest.c_str(), &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    const std::string msg = out ? sqlite3_errmsg(out) : "out of memory";
    sqlite3_close(out);
    return Status::error(dest + ": cannot create the copy: " + msg);
  }
  sqlite3_backup* b = sqlite3_backup_init(out, "main", db_, "main");
  int rc = b ? sqlite3_backup_step(b, -1) : sqlite3_errcode(out);
  if (b) sqlite3_backup_finish(b);
  const std::string msg = sqlite3_errmsg(out);
  if (rc == SQLITE_DONE) rc = sqlite3_exec(out, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
  sqlite3_close(out);
  if (rc != SQLITE_OK && rc != SQLITE_DONE) return Status::error(dest + ": cannot copy the database: " + msg);
  return {};
}

Database::~Database() {
  sqlite3_close_v2(db_);
}

Status Database::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return Status::error(path_ + ": " + msg);
  }
  return {};
}

Result<Statement> Database::prepare(const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &s, nullptr) != SQLITE_OK)
    return Status::error(path_ + ": " + sqlite3_errmsg(db_) + " in: " + sql);
  return Statement(s, path_);
}

int64_t Database::last_insert_id() const {
  return sqlite3_last_insert_rowid(db_);
}

int64_t Database::changes() const {
  return sqlite3_changes(db_);
}

Transaction::Transaction(Database& db) : db_(db), begun_(db.exec("BEGIN IMMEDIATE")) {}

Transaction::~Transaction() {
  if (!done_ && begun_.ok()) (void)db_.exec("ROLLBACK");
}

Status Transaction::commit() {
  done_ = true;
  return db_.exec("COMMIT");
}

}  // namespace vigil::sqlite
