#include "layers/store/sqlite_statements.hpp"

#include "core/errors.hpp"

namespace onemap::layers::store_sql {

Statements::~Statements() {
  for (auto& [sql, st] : cache_) sqlite3_finalize(st);
}

sqlite3_stmt* Statements::prepared(const std::string& sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) return it->second;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) !=
      SQLITE_OK)
    fail("SQL error", sql);
  cache_.emplace(sql, st);
  return st;
}

void Statements::exec(const std::string& sql, const std::vector<std::string>& params) {
  Use use(*this, sql);
  for (std::size_t i = 0; i < params.size(); ++i)
    bind_text(use.st, static_cast<int>(i + 1), params[i]);
  const int rc = sqlite3_step(use.st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) fail("SQL error", sql);
}

void Statements::Use::step_done(const char* what) {
  if (sqlite3_step(st) != SQLITE_DONE)  // ~Use resets it
    throw StoreError(std::string(what) + ": " + sqlite3_errmsg(owner.db_));
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

std::string Statements::column_text(sqlite3_stmt* st, int i) {
  const auto* t = sqlite3_column_text(st, i);
  return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
}

void Statements::fail(const std::string& what, const std::string& sql) const {
  throw StoreError(what + ": " + sqlite3_errmsg(db_) + " in " + sql);
}

}  // namespace onemap::layers::store_sql
