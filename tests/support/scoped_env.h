// ScopedEnv: sets an environment variable for the life of the object and restores its previous
// value (or unsets it) afterwards. For tests: child processes (model workers) inherit it.
//
// Thread-safety: none; setenv is not thread-safe, so use it before starting threads that read the
// environment.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace sensix::testing {

class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace sensix::testing
