// A bounded pool of worker threads with a bounded queue: handlers run here, not on the event
// loop, so that a slow request occupies one worker of its lane and nothing else.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace onemap::http {

class WorkerPool {
 public:
  /// `threads` workers (at least 1) named `name`; at most `max_queue` jobs wait.
  WorkerPool(const std::string& name, int threads, std::size_t max_queue);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  /// Queues a job; false when the queue is full or the pool stopped (the job is not run).
  bool submit(std::function<void()> job);
  /// Runs what is queued, then joins the workers; idempotent.
  void stop();
  std::size_t queued() const;
  int threads() const { return static_cast<int>(threads_.size()); }

 private:
  void run();

  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  std::size_t max_queue_;
  bool stopped_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace onemap::http
