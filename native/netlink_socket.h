// One netlink socket (NETLINK_ROUTE unless asked otherwise): open (optionally inside a named network namespace), send
// requests, read their replies with sequence/port checks, a deadline, and the kernel's extended-ack text.
#pragma once

#include <linux/filter.h>
#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nl_error.h"

// Called for every data message (not acks, not DONE) that answers request number `index`.
using ReplyHandler = std::function<void(size_t index, const nlmsghdr* msg)>;

// Called for every data message of a dump.
using DumpHandler = std::function<void(const nlmsghdr* msg)>;

// Not thread-safe: one caller at a time (src/netlink/socket.ts queues the calls of one RouteSocket).
class NetlinkSocket {
 public:
  // netns: "" for the caller's namespace, a name under /run/netns, or an absolute path to a netns file.
  static NlError Open(const std::string& netns, int timeout_ms, NetlinkSocket** out, int protocol = NETLINK_ROUTE);
  // Another socket in the same namespace as this one (even if its name has gone or been reused since), of the
  // same protocol or of another (protocol >= 0: NETLINK_SOCK_DIAG beside a NETLINK_ROUTE socket).
  NlError Clone(NetlinkSocket** out, int protocol = -1) const;
  ~NetlinkSocket();
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;

  // Sends every request (each a complete nlmsghdr with NLM_F_REQUEST, seq filled in here) in batches and
  // collects one result per request: its ack or error, the end of its dump, or (a lookup that asks no ack)
  // its one answer. A transport failure (timeout, ENOBUFS, socket error) is returned and the per-request
  // results are then not meaningful.
  NlError Transact(std::vector<std::vector<uint8_t>>& requests, const ReplyHandler& on_reply,
                   std::vector<NlError>* results);

  // One request, one result: a transport failure or the request's own error.
  NlError TransactOne(std::vector<uint8_t>& request, const ReplyHandler& on_reply);

  // Requests handed over as one buffer of concatenated messages (each a complete nlmsghdr with
  // NLM_F_REQUEST), pipelined: up to kPipelineMessages per send, sequence numbers filled in here, and only
  // the last of each send asks for an ack (the kernel reports a failure whether asked or not, and handles a
  // send's requests in order). Replies other than errors and acks are ignored. Failures are appended as
  // (the message's index in the buffer, error).
  NlError TransactPipelined(uint8_t* messages, size_t len, std::vector<std::pair<size_t, NlError>>* failures);
  // Requests per send of TransactPipelined: their errors fit the receive buffer easily.
  static constexpr size_t kPipelineMessages = 512;

  // One nfnetlink batch, sent in one datagram so that the kernel applies it as one transaction: messages[0] is
  // NFNL_MSG_BATCH_BEGIN, the last NFNL_MSG_BATCH_END, each a complete nlmsghdr. The messages between ask for
  // an ack (set here; the frame does not, as kernels before 6.10 never ack it) and *results gets one per
  // message between. A refusal of the whole batch (of BEGIN itself: EPERM, ENOMEM) is returned.
  NlError TransactBatch(std::vector<std::vector<uint8_t>>& messages, std::vector<NlError>* results);

  // A dump read piecewise: StartDump sends the request, each ReadDump reads one receive buffer of replies
  // (on_message gets the data messages), until *finished; *result is then the dump's own outcome (EINTR
  // when the kernel flagged it interrupted by concurrent changes: not retried here, the caller decides;
  // src/netlink/socket.ts listRoutes reads the dump again). A dump left unfinished must be drained
  // (DrainDump) before the socket is used again, or the kernel refuses the next dump with EBUSY.
  NlError StartDump(std::vector<uint8_t>& request);
  NlError ReadDump(const DumpHandler& on_message, bool* finished, NlError* result);
  NlError DrainDump();
  bool dump_running() const { return dump_running_; }

  // Multicast notifications (change events): joins one RTNLGRP_* group (NETLINK_ADD_MEMBERSHIP); the kernel
  // then sends this socket a notification of every change the group covers.
  NlError JoinGroup(unsigned group);
  // A classic BPF program the kernel runs on each datagram before queueing it (SO_ATTACH_FILTER, replacing the
  // one before); empty: none (SO_DETACH_FILTER). Safe while another thread reads the socket.
  NlError SetFilter(const std::vector<sock_filter>& program);
  // Whether a notification has come since the socket joined its groups, without waiting: one arrived, or
  // so many that the receive buffer overran (ENOBUFS). Reads (and so consumes) at most one datagram.
  NlError NotificationArrived(bool* arrived);
  // Waits until a notification is queued (or wake_fd, -1 for none, is readable: *woken; or timeout_ms passes,
  // -1 for never), then reads up to max_datagrams of them without waiting again (bounded, so that a flood
  // cannot keep the caller in here), handing each message from the kernel to on_message. A receive that
  // failed with ENOBUFS (the kernel dropped notifications: the reader fell behind), or a truncated datagram,
  // calls on_overrun where it happened, and reading goes on.
  NlError ReceiveNotifications(int wake_fd, int timeout_ms, size_t max_datagrams, const DumpHandler& on_message,
                               const std::function<void()>& on_overrun, bool* woken);

  // Grows the receive buffer for replies that may be large (links with many attributes, dumps). Until then
  // it is small: route lookups and changes never need more, and a socket made for a few of them stays cheap.
  void ExpectLargeReplies();

  // Interface name <-> index in the socket's own namespace, by ioctl on this socket (SIOCGIFINDEX,
  // SIOCGIFNAME: the kernel resolves them in the socket's namespace, never the caller's). A lookup costs a
  // fraction of an RTM_GETLINK round trip, which builds the whole link message. 0 / false: no such link.
  NlError IfIndex(const std::string& name, uint32_t* index) const;
  NlError IfName(uint32_t index, std::string* name, bool* found) const;

  // The socket's network namespace's cookie (SO_NETNS_COOKIE, Linux 5.14): an identity the kernel never gives
  // to another namespace while it runs, unlike the namespace's inode number. *known is false on an older kernel.
  NlError NetnsCookie(uint64_t* cookie, bool* known) const;

  // The namespace the socket was made in, for work to be done there (RunInNamespace); -1: the caller's.
  int namespace_fd() const { return ns_fd_; }

 private:
  NetlinkSocket(int fd, int ns_fd, int protocol, uint32_t port, int timeout_ms);
  static NlError Create(int ns_fd, int protocol, int timeout_ms, NetlinkSocket** out);
  NlError SendBatch(std::vector<std::vector<uint8_t>>& requests, size_t begin, size_t end);
  NlError SendBytes(const uint8_t* data, size_t len);
  NlError Receive(ssize_t* len);
  // One datagram without waiting: *len -1 when none is queued; ENOBUFS and truncation are returned as errors.
  NlError ReceiveNow(ssize_t* len);

  // A message of a receive buffer that answers one of the requests being waited for (ReadReplies).
  struct Reply {
    uint32_t offset = 0;  // the request's place in its send (nlmsg_seq minus the send's first)
    const nlmsghdr* msg = nullptr;
    bool interrupted = false;  // NLM_F_DUMP_INTR: the dump it belongs to is inconsistent
    bool data = false;         // a protocol message (nlmsg_type >= NLMSG_MIN_TYPE): content of an answer
    bool end = false;          // NLMSG_ERROR (an ack or error) or NLMSG_DONE: the request's last reply
    NlError status;            // with end: the request's outcome (errno and extended-ack text)
  };
  template <typename Visitor>
  NlError ReadReplies(uint32_t first_seq, uint32_t count, Visitor&& visit);

  int fd_;
  int ns_fd_;  // the namespace the socket was made in (-1: the caller's)
  int protocol_;
  uint32_t port_;
  int timeout_ms_;
  uint32_t next_seq_;
  std::unique_ptr<uint8_t[]> buffer_;  // not zero-filled
  size_t buffer_size_;
  uint32_t dump_seq_ = 0;
  bool dump_running_ = false, dump_interrupted_ = false;
};
