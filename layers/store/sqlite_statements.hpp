// The SQL the GeoPackage store runs beside GDAL on GDAL's own SQLite connection: each statement
// prepared once and kept (a write used to spend a fifth of its time re-parsing its SQL), always
// reset after use, so that no finished statement holds a read snapshot open.
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace onemap::layers::store_sql {

/// The prepared statements of one connection. Not thread-safe, like the connection. Destroy it
/// before the connection is closed.
class Statements {
 public:
  explicit Statements(sqlite3* db) : db_(db) {}
  ~Statements();
  Statements(const Statements&) = delete;
  Statements& operator=(const Statements&) = delete;

  /// Runs `sql` once with text parameters. @throws StoreError.
  void exec(const std::string& sql, const std::vector<std::string>& params = {});

  /// Runs `sql` once per row: bind(st, row) binds its parameters; after(row) runs after each
  /// step (e.g. to read the new rowid). @throws StoreError naming `what`.
  template <class Rows, class Bind, class After>
  void exec_rows(const char* what, const std::string& sql, const Rows& rows, Bind bind,
                 After after) {
    if (rows.empty()) return;
    Use use(*this, sql);
    for (const auto& row : rows) {
      bind(use.st, row);
      use.step_done(what);
      after(row);
    }
  }
  template <class Rows, class Bind>
  void exec_rows(const char* what, const std::string& sql, const Rows& rows, Bind bind) {
    exec_rows(what, sql, rows, bind, [](const auto&) {});
  }

  /// Reads every row of a query: bind(st) binds its parameters, read(st) is called on each row.
  template <class Bind, class Read>
  void query_rows(const std::string& sql, Bind bind, Read read) {
    Use use(*this, sql);
    bind(use.st);
    int rc;
    while ((rc = sqlite3_step(use.st)) == SQLITE_ROW) read(use.st);
    if (rc != SQLITE_DONE) fail("SQL error", sql);
  }
  template <class Read>
  void query_rows(const std::string& sql, Read read) {
    query_rows(
        sql, [](sqlite3_stmt*) {}, read);
  }

  sqlite3* db() const { return db_; }

  static void bind_text(sqlite3_stmt* st, int i, const std::string& v) {
    sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  /// A text column; NULL reads as "".
  static std::string column_text(sqlite3_stmt* st, int i);

 private:
  // A prepared statement in use: reset and its bindings cleared when it goes.
  struct Use {
    Use(Statements& s, const std::string& sql) : owner(s), st(s.prepared(sql)) {}
    ~Use() {
      sqlite3_reset(st);
      sqlite3_clear_bindings(st);
    }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    // One step that must finish the statement; the statement is reset for the next row.
    void step_done(const char* what);
    Statements& owner;
    sqlite3_stmt* st;
  };

  sqlite3_stmt* prepared(const std::string& sql);
  [[noreturn]] void fail(const std::string& what, const std::string& sql) const;

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace onemap::layers::store_sql
