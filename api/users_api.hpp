// The administrator's endpoints for users and the audit (admin role only; JSON):
//
//   GET   /users                 every user: id, name, role, scope, worker_id, active, created_at
//                                (never a token or its hash)
//   POST  /users                 {"id", "role", "name", "scope", "worker_id"}: 201 with the user
//                                and its "token", shown this once (Cache-Control: no-store)
//   PATCH /users/{id}            any of "name", "role", "scope", "worker_id", "active": 200 with
//                                the user; "active": false stops its token at once
//   POST  /users/{id}/token      a new token (200 {"id", "token"}, shown once); the old one stops
//                                at once
//   GET   /audit                 the audit of personal data and user changes, newest first:
//                                ?from=&to= (ISO 8601 or Unix seconds), user=, action=,
//                                limit= (1-1000, default 100), offset=
//
// Every user change is audited (auth::UserDirectory, in the transaction that makes it) with the
// caller, its address and the request id. A bad or unknown field is a 400 naming it; an unknown
// user a 404; an id another user has a 409.
#pragma once

#include "http/router.hpp"
#include "layers/county/county.hpp"

#include <memory>

namespace onemap::api {

/// Adds the routes above to `router` (Audience::Roles {"admin"}).
void add_user_routes(http::Router& router, const std::shared_ptr<layers::County>& county);

}  // namespace onemap::api
