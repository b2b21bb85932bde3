// The users of the API and their tokens: who a bearer token belongs to, and the administrator's
// changes to users, each audited in the same transaction as the change.
//
// The directory stands apart from the county's layers (layers/county/county.hpp), with its own
// locks and its own connection to the store: a lookup or a user change never waits for the
// county's writers' mutex, nor a county write for a user change. At the store the two
// connections share SQLite's one writer: a user change's commit may wait for a county commit in
// progress (each connection waits up to the store's busy timeout rather than fail).
//
// It keeps the store's users in memory in step with the store: before each lookup it asks its
// connection whether another connection committed anything since it last read them (PRAGMA
// data_version: the county's connection, `onemap user` in another process) and re-reads them when
// so. A change made here is in memory before it returns. So a user added, disabled, re-scoped or
// given a new token, here or elsewhere, counts from the next request on.
//
// Worker records belong to the county: the directory asks for them through a WorkerLookup (a
// worker user's record must exist; an actor carries its team), never holding a lock of its own
// meanwhile.
//
// Lock order: store_mutex_ (the connection; held by a re-read, and by a change from its checks to
// its commit, so that changes go one at a time and a re-read never overtakes one), then
// users_mutex_ (the users in memory). No other lock is taken under either, and the WorkerLookup
// is called with neither held: with the county's locks there is no order to keep, since the
// county never calls the directory holding its own.
#pragma once

#include "layers/dispatch/workflow.hpp"
#include "layers/model/model.hpp"
#include "layers/store/store.hpp"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace onemap::auth {

/// A change of a user: fields left empty keep their value.
struct UserPatch {
  std::optional<std::string> name, role, scope, worker_id;
  std::optional<bool> active;
};

class UserDirectory {
 public:
  /// The worker record with a worker id, or nullopt when there is none.
  using WorkerLookup = std::function<std::optional<layers::Worker>(const std::string& worker_id)>;

  /// Opens a connection of its own to the store at `location` and reads the users. `workers`
  /// finds worker records; `departments` are the scopes a department user may have (empty: any).
  /// @throws StoreError.
  UserDirectory(std::string location, WorkerLookup workers, std::vector<std::string> departments);
  ~UserDirectory();
  UserDirectory(const UserDirectory&) = delete;
  UserDirectory& operator=(const UserDirectory&) = delete;

  /// The actor a bearer token belongs to, or nullopt (unknown token, inactive user), as the
  /// store's users are now (re-read when another connection changed the store). Waits at most
  /// for a user change in progress here, never for a county write.
  /// @throws StoreError when the store cannot be read (nobody is signed in on stale users).
  std::optional<layers::Actor> authenticate(std::string_view token) const;

  /// Adds a user (id unique; role one of user_roles(); a worker's worker_id must name a worker
  /// record) and returns its first token, of which only the hash is stored. The audit row
  /// (user_create, from `origin`: actor, role, peer, request id) goes in the same transaction.
  /// @throws InvalidArgument naming the field ("worker" for the worker record), Conflict ("id")
  /// for an id another user has.
  std::string add(layers::User user, const layers::AuditRecord& origin = {});
  /// Replaces a user's token with a new one and returns it; the old one stops at once. Audited
  /// (token_rotate). @throws NotFound.
  std::string issue_token(const std::string& user_id, const layers::AuditRecord& origin = {});
  /// Changes a user (the rules of add; a disabled user's token stops at once, enabling it brings
  /// that token back). Audited: user_disable, user_enable or user_change, naming the fields
  /// changed and their values before and after; a patch that changes nothing writes nothing.
  /// Returns the user as stored. @throws NotFound, InvalidArgument naming the field.
  layers::User update(const std::string& user_id, const UserPatch& patch,
                      const layers::AuditRecord& origin = {});

  /// Every user, by id, as of the last lookup or change. Token hashes included: callers that
  /// show users leave them out.
  std::vector<layers::User> list() const;
  /// The store's users now (re-read when the store changed), by id.
  std::vector<layers::User> current() const;

  /// The store's audit rows `query` selects, newest first: the user changes audited here and the
  /// personal reads the county appends, read on this connection (no county write is waited for).
  /// @throws StoreError.
  layers::AuditPage audit_log(const layers::AuditQuery& query) const;

 private:
  // The connection, opened again when a read through it failed. Caller holds store_mutex_.
  layers::Store& store() const;
  // f(store()); when it fails, the connection is dropped (opened again at the next use) and the
  // error goes on. Caller holds store_mutex_.
  template <class F>
  auto reading(F&& f) const;
  // Re-reads the users when another connection committed since they were read. Caller holds
  // store_mutex_.
  void refresh() const;
  // Replaces the users in memory (takes users_mutex_).
  void assign(std::vector<layers::User> users) const;
  // A copy of a user. @throws NotFound. Caller holds store_mutex_.
  layers::User find(const std::string& user_id) const;
  // Whether a worker record exists (asks the lookup; called holding no lock of the directory).
  bool worker_exists(const std::string& worker_id) const;
  // Stores a user and its audit row in one transaction, then puts the user in memory.
  // old_hash: the token hash to forget. Caller holds store_mutex_.
  void commit(layers::User& user, layers::AuditRecord& audit, const std::string& old_hash);

  std::string location_;
  WorkerLookup workers_;
  std::vector<std::string> departments_;

  mutable std::mutex store_mutex_;
  mutable std::unique_ptr<layers::Store> store_;  ///< null after a failed read: opened again
  mutable int64_t data_version_ = -1;  ///< store_'s data_version when the users were read

  mutable std::mutex users_mutex_;
  mutable std::unordered_map<std::string, layers::User> users_;        ///< by id
  mutable std::unordered_map<std::string, std::string> user_by_hash_;  ///< token hash → id
};

}  // namespace onemap::auth
