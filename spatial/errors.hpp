// onemap's exception hierarchy. One header, one place (api/) maps these to HTTP statuses.
#pragma once

#include <stdexcept>
#include <string>

namespace onemap {

/// Base of every error onemap throws on purpose.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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

 private:
  std::string parameter_;
  std::string detail_;
};

/// Something asked for does not exist: a layer, a feature id (HTTP 404).
class NotFound : public Error {
 public:
  using Error::Error;
};

/// The request lacks valid credentials (HTTP 401).
class Unauthorized : public Error {
 public:
  using Error::Error;
};

/// The request is understood but not allowed here (HTTP 403).
class Forbidden : public Error {
 public:
  using Error::Error;
};

/// The request conflicts with the record's current state: a transition not allowed from it, or
/// a version (If-Match) that is no longer current (HTTP 409).
class Conflict : public Error {
 public:
  using Error::Error;
  /// A conflict over one field's value (an id another record has): the message starts with it.
  Conflict(std::string parameter, const std::string& message)
      : Error(parameter + ": " + message), parameter_(std::move(parameter)) {}
  /// The field in conflict (may be empty).
  const std::string& parameter() const noexcept { return parameter_; }

 private:
  std::string parameter_;
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
