#include "netlink_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

namespace {

constexpr size_t kReceiveBuffer = 1 << 20;  // large enough for any dump batch the kernel sends
constexpr int kSocketBuffer = 4 << 20;
constexpr size_t kBatchMessages = 256;      // requests in flight before their acks are read
constexpr size_t kBatchBytes = 64 << 10;

NlError Errno(const char* what) {
  int err = errno;
  return NlError{err, std::string(what) + ": " + strerror(err)};
}

std::string NetnsPath(const std::string& netns) {
  return netns[0] == '/' ? netns : "/run/netns/" + netns;
}

// Creates the socket inside the namespace on a short-lived thread, so that no other thread (Node's
// main thread, the libuv pool) ever changes namespace. A socket keeps the namespace it was made in.
NlError CreateSocket(const std::string& netns, int* fd) {
  if (netns.empty()) {
    *fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    return *fd < 0 ? Errno("socket") : NlError{};
  }
  NlError result;
  std::thread worker([&] {
    std::string path = NetnsPath(netns);
    int ns = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0) {
      result = Errno(("network namespace " + netns).c_str());
      return;
    }
    if (setns(ns, CLONE_NEWNET) < 0) {
      result = Errno(("entering network namespace " + netns).c_str());
    } else {
      *fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
      if (*fd < 0) result = Errno("socket");
    }
    close(ns);
  });
  worker.join();
  return result;
}

void EnableOption(int fd, int option) {
  int on = 1;
  // Older kernels lack some options; the socket still works without them.
  setsockopt(fd, SOL_NETLINK, option, &on, sizeof(on));
}

// The text of NLMSGERR_ATTR_MSG in an error or DONE message that carries extended-ack attributes.
std::string ExtendedAck(const nlmsghdr* msg, size_t ack_offset) {
  if (!(msg->nlmsg_flags & NLM_F_ACK_TLVS) || msg->nlmsg_len < NLMSG_HDRLEN + ack_offset) return "";
  const uint8_t* data = static_cast<const uint8_t*>(NLMSG_DATA(msg));
  size_t pos = NLMSG_ALIGN(ack_offset);
  size_t end = msg->nlmsg_len - NLMSG_HDRLEN;
  while (pos + sizeof(nlattr) <= end) {
    const nlattr* attr = reinterpret_cast<const nlattr*>(data + pos);
    if (attr->nla_len < sizeof(nlattr) || pos + attr->nla_len > end) break;
    if ((attr->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      const char* text = reinterpret_cast<const char*>(data + pos + NLA_HDRLEN);
      return std::string(text, strnlen(text, attr->nla_len - NLA_HDRLEN));
    }
    pos += NLA_ALIGN(attr->nla_len);
  }
  return "";
}

NlError ErrorMessageResult(const nlmsghdr* msg) {
  if (msg->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return NlError{EBADMSG, "truncated netlink error"};
  const nlmsgerr* e = static_cast<const nlmsgerr*>(NLMSG_DATA(msg));
  if (e->error == 0) return NlError{};
  size_t offset = sizeof(nlmsgerr);
  if (!(msg->nlmsg_flags & NLM_F_CAPPED)) offset += e->msg.nlmsg_len - NLMSG_HDRLEN;
  return NlError{-e->error, ExtendedAck(msg, offset)};
}

NlError DoneResult(const nlmsghdr* msg) {
  if (msg->nlmsg_len < NLMSG_LENGTH(sizeof(int))) return NlError{};
  int status = *static_cast<const int*>(NLMSG_DATA(msg));
  if (status >= 0) return NlError{};
  return NlError{-status, ExtendedAck(msg, sizeof(int))};
}

}  // namespace

NlError NetlinkSocket::Open(const std::string& netns, int timeout_ms, NetlinkSocket** out) {
  int fd = -1;
  NlError err = CreateSocket(netns, &fd);
  if (err.err) return err;
  int size = kSocketBuffer;
  // SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it the ordinary limit applies.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  EnableOption(fd, NETLINK_EXT_ACK);
  EnableOption(fd, NETLINK_CAP_ACK);
  EnableOption(fd, NETLINK_GET_STRICT_CHK);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  socklen_t len = sizeof(local);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) < 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) < 0) {
    err = Errno("bind");
    close(fd);
    return err;
  }
  *out = new NetlinkSocket(fd, local.nl_pid, timeout_ms);
  return NlError{};
}

NetlinkSocket::NetlinkSocket(int fd, uint32_t port, int timeout_ms)
    : fd_(fd),
      port_(port),
      timeout_ms_(timeout_ms),
      next_seq_(static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count())),
      buffer_(kReceiveBuffer) {}

NetlinkSocket::~NetlinkSocket() { close(fd_); }

NlError NetlinkSocket::SendBatch(std::vector<std::vector<uint8_t>>& requests, size_t begin, size_t end) {
  std::vector<iovec> iov;
  iov.reserve(end - begin);
  for (size_t i = begin; i < end; i++) iov.push_back(iovec{requests[i].data(), requests[i].size()});
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  msghdr msg{};
  msg.msg_name = &kernel;
  msg.msg_namelen = sizeof(kernel);
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  if (sendmsg(fd_, &msg, 0) < 0) return Errno("netlink send");
  return NlError{};
}

NlError NetlinkSocket::Receive(ssize_t* len) {
  pollfd p{fd_, POLLIN, 0};
  int ready;
  do ready = poll(&p, 1, timeout_ms_);
  while (ready < 0 && errno == EINTR);
  if (ready < 0) return Errno("netlink poll");
  if (ready == 0) return NlError{ETIMEDOUT, "no answer from the kernel within " + std::to_string(timeout_ms_) + " ms"};
  sockaddr_nl from{};
  iovec iov{buffer_.data(), buffer_.size()};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof(from);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  do *len = recvmsg(fd_, &msg, 0);
  while (*len < 0 && errno == EINTR);
  if (*len < 0) {
    if (errno == ENOBUFS) return NlError{ENOBUFS, "netlink receive buffer overrun: replies were lost"};
    return Errno("netlink receive");
  }
  if (msg.msg_flags & MSG_TRUNC) return NlError{EMSGSIZE, "netlink reply truncated"};
  if (from.nl_pid != 0) *len = 0;  // not from the kernel: ignore it
  return NlError{};
}

NlError NetlinkSocket::Transact(std::vector<std::vector<uint8_t>>& requests, const ReplyHandler& on_reply,
                                std::vector<NlError>* results) {
  results->assign(requests.size(), NlError{});
  for (size_t begin = 0; begin < requests.size();) {
    size_t end = begin, bytes = 0;
    while (end < requests.size() && end - begin < kBatchMessages && bytes < kBatchBytes) {
      bytes += requests[end].size();
      end++;
    }
    uint32_t first_seq = next_seq_;
    for (size_t i = begin; i < end; i++) {
      nlmsghdr* hdr = reinterpret_cast<nlmsghdr*>(requests[i].data());
      hdr->nlmsg_seq = next_seq_++;
      hdr->nlmsg_pid = 0;
    }
    NlError err = SendBatch(requests, begin, end);
    if (err.err) return err;
    size_t pending = end - begin;
    while (pending > 0) {
      ssize_t len;
      err = Receive(&len);
      if (err.err) return err;
      for (const nlmsghdr* msg = reinterpret_cast<const nlmsghdr*>(buffer_.data()); NLMSG_OK(msg, len);
           msg = NLMSG_NEXT(msg, len)) {
        uint32_t offset = msg->nlmsg_seq - first_seq;
        if (msg->nlmsg_pid != port_ || offset >= end - begin) continue;  // stale or foreign
        size_t index = begin + offset;
        if (msg->nlmsg_flags & NLM_F_DUMP_INTR) (*results)[index].err = EINTR;
        if (msg->nlmsg_type == NLMSG_ERROR) {
          NlError result = ErrorMessageResult(msg);
          if (result.err || (*results)[index].err != EINTR) (*results)[index] = result;
          pending--;
        } else if (msg->nlmsg_type == NLMSG_DONE) {
          NlError result = DoneResult(msg);
          if (result.err) (*results)[index] = result;
          pending--;
        } else if (msg->nlmsg_type >= NLMSG_MIN_TYPE) {
          on_reply(index, msg);
        }
      }
    }
    begin = end;
  }
  for (NlError& r : *results)
    if (r.err == EINTR && r.message.empty()) r.message = "dump interrupted by concurrent changes";
  return NlError{};
}

NlError NetlinkSocket::TransactOne(std::vector<uint8_t>& request, const ReplyHandler& on_reply) {
  std::vector<std::vector<uint8_t>> requests{std::move(request)};
  std::vector<NlError> results;
  NlError err = Transact(requests, on_reply, &results);
  request = std::move(requests[0]);
  return err.err ? err : results[0];
}
