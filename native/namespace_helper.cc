#include "namespace_helper.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace {

// Does work inside other namespaces (makes a socket, opens a sysctl file). setns() is done by one helper thread
// that enters the namespace, does the work and goes back to where it started, so that no other thread (Node's main
// thread, the libuv pool) ever changes namespace, and no thread lingers in a namespace (keeping it alive). One
// long-lived helper instead of a thread per socket: a new thread's first setns() costs tens of
// microseconds more than an enter-and-return on a thread that already did it.
class NamespaceHelper {
 public:
  static NamespaceHelper& Get() {
    static NamespaceHelper* helper = new NamespaceHelper();  // never destroyed: the thread is detached
    return *helper;
  }

  NlError Run(int ns_fd, const NamespaceWork& work, int* fd) {
    std::unique_lock<std::mutex> call(call_mutex_);  // one request at a time
    std::unique_lock<std::mutex> lock(mutex_);
    if (!started_) Start();
    if (broken_) {
      lock.unlock();
      return RunOnNewThread(ns_fd, work, fd);
    }
    request_ns_ = ns_fd;
    request_work_ = &work;
    pending_ = true;
    done_.store(false);
    wake_.notify_one();
    finished_.wait(lock, [this] { return done_.load(); });
    *fd = result_fd_;
    return result_;
  }

  // The fallback: a short-lived thread that enters the namespace and ends there.
  static NlError RunOnNewThread(int ns_fd, const NamespaceWork& work, int* fd) {
    NlError result;
    std::thread worker([&] { result = EnterAndRun(ns_fd, work, fd); });
    worker.join();
    return result;
  }

 private:
  static NlError EnterAndRun(int ns_fd, const NamespaceWork& work, int* fd) {
    if (setns(ns_fd, CLONE_NEWNET) < 0) return Errno("entering the network namespace");
    return work(fd);
  }

  void Start() {
    started_ = true;
    home_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (home_ < 0) {
      broken_ = true;
      return;
    }
    std::thread([this] { Loop(); }).detach();
  }

  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return pending_; });
      pending_ = false;
      int fd = -1;
      NlError result = EnterAndRun(request_ns_, *request_work_, &fd);
      bool home = setns(home_, CLONE_NEWNET) == 0;
      if (!home) {
        // Stuck in another namespace: this thread must never serve again.
        if (fd >= 0) close(fd);
        fd = -1;
        result = Errno("returning from the network namespace");
        broken_ = true;
      }
      result_fd_ = fd;
      result_ = result;
      done_.store(true, std::memory_order_release);
      finished_.notify_one();
      if (broken_) return;
    }
  }

  std::mutex call_mutex_, mutex_;
  std::condition_variable wake_, finished_;
  bool started_ = false, broken_ = false, pending_ = false;
  std::atomic<bool> done_{false};
  int home_ = -1, request_ns_ = -1, result_fd_ = -1;
  const NamespaceWork* request_work_ = nullptr;
  NlError result_;
};

}  // namespace

NlError RunInNamespace(int ns_fd, const NamespaceWork& work, int* fd) {
  if (ns_fd < 0) return work(fd);
  return NamespaceHelper::Get().Run(ns_fd, work, fd);
}

NlError CreateNetlinkSocket(int ns_fd, int protocol, int* fd) {
  return RunInNamespace(
      ns_fd,
      [protocol](int* out) {
        *out = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
        return *out < 0 ? Errno("socket") : NlError{};
      },
      fd);
}
