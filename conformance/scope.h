#pragma once
// Runs a function when the scope ends, however it ends (an exception too): a thread
// joined, a server stopped.
#include <functional>
#include <utility>

namespace th::conform {

class OnExit {
 public:
  explicit OnExit(std::function<void()> fn) : fn_(std::move(fn)) {}
  ~OnExit() {
    if (fn_) fn_();
  }
  OnExit(const OnExit&) = delete;
  OnExit& operator=(const OnExit&) = delete;

 private:
  std::function<void()> fn_;
};

}  // namespace th::conform
