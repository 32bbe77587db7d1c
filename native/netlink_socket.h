// One NETLINK_ROUTE socket: open (optionally inside a named network namespace), send requests,
// read their replies with sequence/port checks, a deadline, and the kernel's extended-ack text.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

struct NlError {
  int err = 0;          // positive errno; 0 means success
  std::string message;  // the kernel's extended-ack text, or our own explanation
};

// Called for every data message (not acks, not DONE) that answers request number `index`.
using ReplyHandler = std::function<void(size_t index, const nlmsghdr* msg)>;

class NetlinkSocket {
 public:
  // netns: "" for the caller's namespace, a name under /run/netns, or an absolute path to a netns file.
  static NlError Open(const std::string& netns, int timeout_ms, NetlinkSocket** out);
  ~NetlinkSocket();
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;

  // Sends every request (each a complete nlmsghdr with NLM_F_REQUEST, seq filled in here) in batches and
  // collects one result per request: its ack or error, or the end of its dump. A transport failure
  // (timeout, ENOBUFS, socket error) is returned and the per-request results are then not meaningful.
  NlError Transact(std::vector<std::vector<uint8_t>>& requests, const ReplyHandler& on_reply,
                   std::vector<NlError>* results);

  // One request, one result: a transport failure or the request's own error.
  NlError TransactOne(std::vector<uint8_t>& request, const ReplyHandler& on_reply);

  // A dump whose replies carried NLM_F_DUMP_INTR is retried this many times before it is reported.
  static constexpr int kDumpRetries = 3;

 private:
  explicit NetlinkSocket(int fd, uint32_t port, int timeout_ms);
  NlError SendBatch(std::vector<std::vector<uint8_t>>& requests, size_t begin, size_t end);
  NlError Receive(ssize_t* len);

  int fd_;
  uint32_t port_;
  int timeout_ms_;
  uint32_t next_seq_;
  std::vector<uint8_t> buffer_;
};
