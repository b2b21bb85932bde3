// onemap's exception hierarchy. One header; each error names its code in the error table
// (http/errors.hpp), the one place that maps codes to HTTP statuses.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace onemap {

/// Base of every error onemap throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  /// The error table's code (http/errors.hpp): "internal" unless a subclass says otherwise.
  virtual const char* code() const noexcept { return "internal"; }
};

/// A caller gave a bad value: an unknown CRS, a malformed code, a bad parameter (HTTP 400).
class InvalidArgument : public Error {
 public:
  InvalidArgument(std::string parameter, const std::string& message)
      : Error(parameter.empty() ? message : parameter + ": " + message),
        parameter_(std::move(parameter)),
        detail_(message) {}
  /// The parameter or field that was wrong (may be empty).
  const std::string& parameter() const noexcept { return parameter_; }
  /// What was wrong with it, without the parameter name.
  const std::string& detail() const noexcept { return detail_; }
  const char* code() const noexcept override { return "invalid_parameter"; }

 private:
  std::string parameter_;
  std::string detail_;
};

/// One feature of a batch is refused, and the batch with it (HTTP 400, code invalid_parameter):
/// its position in the batch (0-based) and why, for the answer to name.
class InvalidFeature : public InvalidArgument {
 public:
  InvalidFeature(std::string parameter, int64_t index, const std::string& reason)
      : InvalidArgument(std::move(parameter), "feature " + std::to_string(index) + ": " + reason),
        index_(index),
        reason_(reason) {}
  int64_t index() const noexcept { return index_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  int64_t index_;
  std::string reason_;
};

/// A query whose cost is known up front to exceed a limit: more filter terms or polygon vertices
/// than the server evaluates (HTTP 400, code query_too_expensive).
class TooExpensive : public InvalidArgument {
 public:
  using InvalidArgument::InvalidArgument;
  const char* code() const noexcept override { return "query_too_expensive"; }
};

/// Something asked for does not exist: a layer, a feature id (HTTP 404).
class NotFound : public Error {
 public:
  using Error::Error;
  const char* code() const noexcept override { return "not_found"; }
};

/// The request lacks valid credentials (HTTP 401).
class Unauthorized : public Error {
 public:
  using Error::Error;
  const char* code() const noexcept override { return "unauthorized"; }
};

/// The request is understood but not allowed here (HTTP 403).
class Forbidden : public Error {
 public:
  /// `code`: "forbidden" (the role may not), or "forbidden_scope" (outside the user's area).
  explicit Forbidden(const std::string& message, const char* code = "forbidden",
                     std::string parameter = {})
      : Error(message), code_(code), parameter_(std::move(parameter)) {}
  const char* code() const noexcept override { return code_; }
  /// The field the user may not write (may be empty).
  const std::string& parameter() const noexcept { return parameter_; }

 private:
  const char* code_;
  std::string parameter_;
};

/// The request conflicts with the record's current state: a transition not allowed from it, or
/// a version (If-Match) that is no longer current (HTTP 409).
class Conflict : public Error {
 public:
  /// `code`: "conflict" (the record's state), "conflict_version" (a stale If-Match) or
  /// "conflict_duplicate" (a unique value taken).
  explicit Conflict(const std::string& message, const char* code = "conflict")
      : Error(message), code_(code) {}
  /// A conflict over one field's value (e.g. an id another record has: "conflict_duplicate");
  /// the message starts with the field.
  Conflict(std::string parameter, const std::string& message, const char* code)
      : Error(parameter + ": " + message), code_(code), parameter_(std::move(parameter)) {}
  const char* code() const noexcept override { return code_; }
  /// The field in conflict (may be empty).
  const std::string& parameter() const noexcept { return parameter_; }

 private:
  const char* code_;
  std::string parameter_;
};

/// The same request came again too soon (HTTP 429, with Retry-After): a resident's sign-in code
/// asked for again before the pause, or too often in a day.
class TooManyRequests : public Error {
 public:
  TooManyRequests(std::string parameter, const std::string& message, int64_t retry_after_s)
      : Error(message), parameter_(std::move(parameter)), retry_after_s_(retry_after_s) {}
  const char* code() const noexcept override { return "too_many_requests"; }
  /// The parameter whose value was asked for too often.
  const std::string& parameter() const noexcept { return parameter_; }
  /// Seconds until it may be asked again.
  int64_t retry_after() const noexcept { return retry_after_s_; }

 private:
  std::string parameter_;
  int64_t retry_after_s_;
};

/// A condition of the request is not met: an If-Match that names no current state of the record,
/// or a record that is gone (HTTP 412). Carries the record's current entity tag (empty when
/// there is no record), for the answer to give.
class PreconditionFailed : public Error {
 public:
  PreconditionFailed(const std::string& message, std::string current_etag)
      : Error(message), etag_(std::move(current_etag)) {}
  const char* code() const noexcept override { return "precondition_failed"; }
  const std::string& etag() const noexcept { return etag_; }

 private:
  std::string etag_;
};

/// The path does not take the request's method (HTTP 405): `allow` lists those it takes.
class MethodNotAllowed : public Error {
 public:
  MethodNotAllowed(const std::string& message, std::string allow)
      : Error(message), allow_(std::move(allow)) {}
  const char* code() const noexcept override { return "method_not_allowed"; }
  const std::string& allow() const noexcept { return allow_; }

 private:
  std::string allow_;
};

/// A body of a media type the path does not take (HTTP 415); the parameter is Content-Type.
class UnsupportedMediaType : public InvalidArgument {
 public:
  explicit UnsupportedMediaType(const std::string& message)
      : InvalidArgument("Content-Type", message) {}
  const char* code() const noexcept override { return "unsupported_media_type"; }
};

/// The server cannot answer in time: the request waited or ran past its time budget (HTTP 503
/// with Retry-After).
class Unavailable : public Error {
 public:
  using Error::Error;
  const char* code() const noexcept override { return "unavailable"; }
};

/// A coordinate transformation could not be built or failed.
class CrsError : public Error {
 public:
  using Error::Error;
};

/// The store could not read or write (disk, schema, constraint).
class StoreError : public Error {
 public:
  using Error::Error;
};

}  // namespace onemap
