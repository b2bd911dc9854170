// Status and Result<T>: how every sensix boundary reports failure.
//
// Contract: no sensix function throws across a component boundary. Code that calls a
// library that throws (yaml-cpp, nlohmann::json, OpenCV, the ONNX Runtime C++ API)
// catches at its own edge and returns a Status whose message names the problem in words
// a user can act on. A Status is cheap to copy when ok (no allocation).
//
// Thread-safety: values; no shared state.
#pragma once

#include <cassert>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sensix {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller's input (a document, a request, a file's content) is wrong
  kNotFound,            // a named thing (file, model, sensor, tensor) does not exist
  kFailedPrecondition,  // the system is not in a state where this can be done
  kUnavailable,         // a dependency (engine library, device, stream) cannot be reached now
  kDataLoss,            // stored bytes are not what they should be (checksum, truncation)
  kResourceExhausted,   // a budget or queue is full
  kCancelled,           // stopped on request
  kInternal,            // a bug or an unexpected library failure
};

std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "prefix: message", keeping the code. Used to add the document/field/model a lower
  // layer did not know about. A message of several problems (one per line, see StatusList)
  // gets the prefix on every line.
  Status with_context(std::string_view prefix) const;

  // "CODE: message" for logs; user-facing output prints message() alone.
  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Several independent problems reported together, e.g. every error of every document that
// `sensix validate` finds: one Status whose message holds one problem per line (the CLI prints
// each line as an error), with the code of the first problem added.
class StatusList {
 public:
  void add(const Status& s);  // an ok Status is ignored; a multi-line one adds each line
  bool ok() const { return code_ == StatusCode::kOk; }
  size_t size() const { return count_; }
  Status status() const { return ok() ? Status::Ok() : Status(code_, text_); }

 private:
  StatusCode code_ = StatusCode::kOk;
  size_t count_ = 0;
  std::string text_;
};

// Prints to_string(); lets GoogleTest and logs show a Status.
std::ostream& operator<<(std::ostream& os, const Status& s);

Status InvalidArgument(std::string message);
Status NotFound(std::string message);
Status FailedPrecondition(std::string message);
Status Unavailable(std::string message);
Status DataLoss(std::string message);
Status ResourceExhausted(std::string message);
Status Cancelled(std::string message);
Status Internal(std::string message);

// Result<T>: a T or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sensix

#define SENSIX_CONCAT_INNER_(a, b) a##b
#define SENSIX_CONCAT_(a, b) SENSIX_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` is not ok.
#define SENSIX_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::sensix::Status sensix_status_ = (expr);        \
    if (!sensix_status_.ok()) return sensix_status_; \
  } while (0)

// `lhs = value of expr` or return its Status. lhs may declare a variable: `auto x`.
#define SENSIX_ASSIGN_OR_RETURN(lhs, expr) \
  SENSIX_ASSIGN_OR_RETURN_IMPL_(SENSIX_CONCAT_(sensix_result_, __LINE__), lhs, expr)
#define SENSIX_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
