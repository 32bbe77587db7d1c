#include "netlink_socket.h"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <bitset>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "namespace_helper.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif

namespace {

constexpr size_t kReceiveBuffer = 1 << 20;        // large enough for any dump batch the kernel sends
constexpr size_t kSmallReceiveBuffer = 64 << 10;  // acks, errors, route lookups
constexpr int kSocketBuffer = 4 << 20;
constexpr int kSendSocketBuffer = 1 << 20;
constexpr size_t kBatchMessages = 256;  // requests in flight before their acks are read
constexpr size_t kBatchBytes = 64 << 10;
constexpr const char* kInterruptedDump = "dump interrupted by concurrent changes";

std::string NetnsPath(const std::string& netns) { return netns[0] == '/' ? netns : "/run/netns/" + netns; }

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

// The kernel reports a failure as -errno, errno 1..4095 (MAX_ERRNO); any other negative or positive value
// is a malformed reply, not an errno to hand on (negating INT_MIN would not even be defined).
bool IsKernelError(int value) { return value < 0 && value >= -4095; }

NlError MalformedStatus(int value) {
  return NlError{EPROTO, "malformed netlink reply: status " + std::to_string(value)};
}

NlError ErrorMessageResult(const nlmsghdr* msg) {
  if (msg->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) return NlError{EBADMSG, "truncated netlink error"};
  const nlmsgerr* e = static_cast<const nlmsgerr*>(NLMSG_DATA(msg));
  if (e->error == 0) return NlError{};
  if (!IsKernelError(e->error)) return MalformedStatus(e->error);
  size_t offset = sizeof(nlmsgerr);
  if (!(msg->nlmsg_flags & NLM_F_CAPPED)) offset += e->msg.nlmsg_len - NLMSG_HDRLEN;
  return NlError{-e->error, ExtendedAck(msg, offset)};
}

NlError DoneResult(const nlmsghdr* msg) {
  if (msg->nlmsg_len < NLMSG_LENGTH(sizeof(int))) return NlError{};
  int status = *static_cast<const int*>(NLMSG_DATA(msg));
  if (status >= 0) return NlError{};
  if (!IsKernelError(status)) return MalformedStatus(status);
  return NlError{-status, ExtendedAck(msg, sizeof(int))};
}

}  // namespace

NlError NetlinkSocket::Open(const std::string& netns, int timeout_ms, NetlinkSocket** out, int protocol) {
  int ns_fd = -1;
  if (!netns.empty()) {
    ns_fd = open(NetnsPath(netns).c_str(), O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0) return Errno(("network namespace " + netns).c_str());
  }
  NlError err = Create(ns_fd, protocol, timeout_ms, out);
  if (err.err && ns_fd >= 0) close(ns_fd);
  return err;
}

NlError NetlinkSocket::Clone(NetlinkSocket** out, int protocol) const {
  int ns_fd = -1;
  if (ns_fd_ >= 0 && (ns_fd = fcntl(ns_fd_, F_DUPFD_CLOEXEC, 0)) < 0) return Errno("dup");
  NlError err = Create(ns_fd, protocol < 0 ? protocol_ : protocol, timeout_ms_, out);
  if (err.err && ns_fd >= 0) close(ns_fd);
  return err;
}

// Takes ns_fd on success.
NlError NetlinkSocket::Create(int ns_fd, int protocol, int timeout_ms, NetlinkSocket** out) {
  int fd = -1;
  NlError err = CreateNetlinkSocket(ns_fd, protocol, &fd);
  if (err.err) return err;
  int size = kSocketBuffer;
  // SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it the ordinary limit applies.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  size = kSendSocketBuffer;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
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
  *out = new NetlinkSocket(fd, ns_fd, protocol, local.nl_pid, timeout_ms);
  return NlError{};
}

NetlinkSocket::NetlinkSocket(int fd, int ns_fd, int protocol, uint32_t port, int timeout_ms)
    : fd_(fd),
      ns_fd_(ns_fd),
      protocol_(protocol),
      port_(port),
      timeout_ms_(timeout_ms),
      next_seq_(static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count())),
      buffer_(new uint8_t[kSmallReceiveBuffer]),
      buffer_size_(kSmallReceiveBuffer) {}

void NetlinkSocket::ExpectLargeReplies() {
  if (buffer_size_ >= kReceiveBuffer) return;
  buffer_.reset(new uint8_t[kReceiveBuffer]);
  buffer_size_ = kReceiveBuffer;
}

NetlinkSocket::~NetlinkSocket() {
  close(fd_);
  if (ns_fd_ >= 0) close(ns_fd_);
}

NlError NetlinkSocket::SendBytes(const uint8_t* data, size_t len) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do sent = sendto(fd_, data, len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
  while (sent < 0 && errno == EINTR);
  return sent < 0 ? Errno("netlink send") : NlError{};
}

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

NlError NetlinkSocket::ReceiveNow(ssize_t* len) {
  sockaddr_nl from{};
  iovec iov{buffer_.get(), buffer_size_};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof(from);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  do *len = recvmsg(fd_, &msg, MSG_DONTWAIT);
  while (*len < 0 && errno == EINTR);
  if (*len < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return NlError{};
    if (errno == ENOBUFS) return NlError{ENOBUFS, "netlink receive buffer overrun: replies were lost"};
    return Errno("netlink receive");
  }
  if (msg.msg_flags & MSG_TRUNC) return NlError{EMSGSIZE, "netlink reply truncated"};
  if (from.nl_pid != 0) *len = 0;  // not from the kernel: ignore it
  return NlError{};
}

NlError NetlinkSocket::Receive(ssize_t* len) {
  // The kernel usually has the answer queued already (it handles a request inside sendmsg): try first,
  // and wait (with the deadline) only when there is nothing yet.
  for (;;) {
    NlError err = ReceiveNow(len);
    if (err.err || *len >= 0) return err;
    pollfd p{fd_, POLLIN, 0};
    int ready;
    do ready = poll(&p, 1, timeout_ms_);
    while (ready < 0 && errno == EINTR);
    if (ready < 0) return Errno("netlink poll");
    if (ready == 0)
      return NlError{ETIMEDOUT, "no answer from the kernel within " + std::to_string(timeout_ms_) + " ms"};
  }
}

NlError NetlinkSocket::JoinGroup(unsigned group) {
  if (setsockopt(fd_, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
    return Errno("NETLINK_ADD_MEMBERSHIP");
  return NlError{};
}

NlError NetlinkSocket::SetFilter(const std::vector<sock_filter>& program) {
  if (program.empty()) {
    const int unused = 0;  // the kernel wants an int's worth of option, and ignores it
    if (setsockopt(fd_, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof(unused)) < 0 && errno != ENOENT)
      return Errno("SO_DETACH_FILTER");
    return NlError{};
  }
  sock_fprog prog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
  if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) return Errno("SO_ATTACH_FILTER");
  return NlError{};
}

NlError NetlinkSocket::ReceiveNotifications(int wake_fd, int timeout_ms, size_t max_datagrams,
                                            const DumpHandler& on_message, const std::function<void()>& on_overrun,
                                            bool* woken) {
  *woken = false;
  pollfd p[2] = {{fd_, POLLIN, 0}, {wake_fd, POLLIN, 0}};
  int ready;
  do ready = poll(p, wake_fd >= 0 ? 2 : 1, timeout_ms);
  while (ready < 0 && errno == EINTR);
  if (ready < 0) return Errno("netlink poll");
  if (wake_fd >= 0 && (p[1].revents & POLLIN)) {
    *woken = true;
    return NlError{};
  }
  if (ready == 0) return NlError{};
  for (size_t i = 0; i < max_datagrams; i++) {
    ssize_t len;
    NlError err = ReceiveNow(&len);
    if (err.err == ENOBUFS || err.err == EMSGSIZE) {
      on_overrun();
      continue;
    }
    if (err.err) return err;
    if (len < 0) break;  // nothing more queued
    for (const nlmsghdr* msg = reinterpret_cast<const nlmsghdr*>(buffer_.get()); NLMSG_OK(msg, len);
         msg = NLMSG_NEXT(msg, len))
      if (msg->nlmsg_type >= NLMSG_MIN_TYPE) on_message(msg);
  }
  return NlError{};
}

NlError NetlinkSocket::NotificationArrived(bool* arrived) {
  ssize_t len;
  NlError err = ReceiveNow(&len);
  *arrived = len > 0 || err.err == ENOBUFS;
  return err.err == ENOBUFS ? NlError{} : err;
}

// The one receive-and-match loop (libmnl's __mnl_cb_run): reads one receive buffer and hands every message
// that answers one of the `count` requests sent from sequence number first_seq on to visit(Reply&), which
// may take the reply's status; messages from another port or with a sequence number outside the send are
// stale or foreign and skipped. visit returns false to stop reading the buffer (the end of a dump: what
// follows is not its business). A template, so that each caller's visitor is inlined into the loop and
// nothing is allocated per message of a million-route dump.
template <typename Visitor>
NlError NetlinkSocket::ReadReplies(uint32_t first_seq, uint32_t count, Visitor&& visit) {
  ssize_t len;
  NlError err = Receive(&len);
  if (err.err) return err;
  Reply reply;
  for (const nlmsghdr* msg = reinterpret_cast<const nlmsghdr*>(buffer_.get()); NLMSG_OK(msg, len);
       msg = NLMSG_NEXT(msg, len)) {
    reply.offset = msg->nlmsg_seq - first_seq;
    if (msg->nlmsg_pid != port_ || reply.offset >= count) continue;  // stale or foreign
    reply.msg = msg;
    reply.interrupted = msg->nlmsg_flags & NLM_F_DUMP_INTR;
    reply.data = msg->nlmsg_type >= NLMSG_MIN_TYPE;
    reply.end = msg->nlmsg_type == NLMSG_ERROR || msg->nlmsg_type == NLMSG_DONE;
    if (reply.end) reply.status = msg->nlmsg_type == NLMSG_ERROR ? ErrorMessageResult(msg) : DoneResult(msg);
    if (!visit(reply)) break;
  }
  return NlError{};
}

NlError NetlinkSocket::Transact(std::vector<std::vector<uint8_t>>& requests, const ReplyHandler& on_reply,
                                std::vector<NlError>* results) {
  NlError drained = DrainDump();
  if (drained.err) return drained;
  results->assign(requests.size(), NlError{});
  for (size_t begin = 0; begin < requests.size();) {
    size_t end = begin, bytes = 0;
    while (end < requests.size() && end - begin < kBatchMessages && bytes < kBatchBytes) {
      bytes += requests[end].size();
      end++;
    }
    const uint32_t first_seq = next_seq_;
    // A lookup that asks for no ack (a get that is not a dump) is answered by one message: its data or its
    // error. Asking none saves the kernel an ack and the reader a recvmsg.
    std::bitset<kBatchMessages> answered_once;
    for (size_t i = begin; i < end; i++) {
      nlmsghdr* hdr = reinterpret_cast<nlmsghdr*>(requests[i].data());
      hdr->nlmsg_seq = next_seq_++;
      hdr->nlmsg_pid = 0;
      answered_once[i - begin] = !(hdr->nlmsg_flags & NLM_F_ACK) && (hdr->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP;
    }
    NlError err = SendBatch(requests, begin, end);
    if (err.err) return err;
    // One end (ack, error, DONE, or a lookup's one answer) per request; an interrupted dump's result is EINTR
    // unless it failed.
    size_t pending = end - begin;
    while (pending > 0) {
      err = ReadReplies(first_seq, static_cast<uint32_t>(end - begin), [&](Reply& r) {
        const size_t index = begin + r.offset;
        NlError& result = (*results)[index];
        if (r.interrupted) result.err = EINTR;
        if (r.end) {
          const bool ack = r.msg->nlmsg_type == NLMSG_ERROR;
          if (r.status.err || (ack && result.err != EINTR)) result = std::move(r.status);
          pending--;
        } else if (r.data) {
          on_reply(index, r.msg);
          if (answered_once[r.offset] && !(r.msg->nlmsg_flags & NLM_F_MULTI)) pending--;
        }
        return true;
      });
      if (err.err) return err;
    }
    begin = end;
  }
  for (NlError& r : *results)
    if (r.err == EINTR && r.message.empty()) r.message = kInterruptedDump;
  return NlError{};
}

NlError NetlinkSocket::TransactOne(std::vector<uint8_t>& request, const ReplyHandler& on_reply) {
  std::vector<std::vector<uint8_t>> requests{std::move(request)};
  std::vector<NlError> results;
  NlError err = Transact(requests, on_reply, &results);
  request = std::move(requests[0]);
  return err.err ? err : results[0];
}

NlError NetlinkSocket::TransactPipelined(uint8_t* messages, size_t len,
                                         std::vector<std::pair<size_t, NlError>>* failures) {
  NlError drained = DrainDump();
  if (drained.err) return drained;
  size_t index = 0;  // of the first message of the send
  for (size_t begin = 0; begin < len;) {
    // The send: up to kPipelineMessages whole messages, numbered, the last one alone asking for an ack.
    const uint32_t first_seq = next_seq_;
    size_t end = begin, count = 0;
    nlmsghdr* last = nullptr;
    while (end < len && count < kPipelineMessages) {
      nlmsghdr* hdr = reinterpret_cast<nlmsghdr*>(messages + end);
      if (len - end < NLMSG_HDRLEN || hdr->nlmsg_len < NLMSG_HDRLEN || hdr->nlmsg_len > len - end)
        return NlError{EINVAL, "malformed netlink request"};
      hdr->nlmsg_seq = next_seq_++;
      hdr->nlmsg_pid = 0;
      hdr->nlmsg_flags &= ~NLM_F_ACK;
      last = hdr;
      end += NLMSG_ALIGN(hdr->nlmsg_len);
      count++;
    }
    last->nlmsg_flags |= NLM_F_ACK;
    NlError err = SendBytes(messages + begin, std::min(end, len) - begin);
    if (err.err) return err;
    const uint32_t last_offset = static_cast<uint32_t>(count - 1);
    for (bool acked = false; !acked;) {
      err = ReadReplies(first_seq, static_cast<uint32_t>(count), [&](Reply& r) {
        if (!r.end || r.msg->nlmsg_type != NLMSG_ERROR) return true;
        if (r.status.err) failures->emplace_back(index + r.offset, std::move(r.status));
        if (r.offset == last_offset) acked = true;
        return true;
      });
      if (err.err) return err;
    }
    index += count;
    begin = end;
  }
  return NlError{};
}

NlError NetlinkSocket::TransactBatch(std::vector<std::vector<uint8_t>>& messages, std::vector<NlError>* results) {
  if (messages.size() < 2) return NlError{EINVAL, "a batch needs its begin and end"};
  NlError err = DrainDump();
  if (err.err) return err;
  const size_t count = messages.size(), last = count - 1;
  results->assign(count - 2, NlError{});
  const uint32_t first_seq = next_seq_;
  for (size_t i = 0; i < count; i++) {
    nlmsghdr* hdr = reinterpret_cast<nlmsghdr*>(messages[i].data());
    hdr->nlmsg_seq = next_seq_++;
    hdr->nlmsg_pid = 0;
    if (i == 0 || i == last)
      hdr->nlmsg_flags &= ~NLM_F_ACK;
    else
      hdr->nlmsg_flags |= NLM_F_ACK;
  }
  err = SendBatch(messages, 0, count);
  if (err.err) return err;
  NlError refused;
  for (size_t pending = count - 2; pending > 0 && !refused.err;) {
    err = ReadReplies(first_seq, static_cast<uint32_t>(count), [&](Reply& r) {
      if (!r.end || r.msg->nlmsg_type != NLMSG_ERROR) return true;
      if (r.offset == 0 || r.offset == last) {
        refused = r.status.err ? std::move(r.status) : NlError{EPROTO, "the kernel acked the batch's frame"};
        return false;
      }
      (*results)[r.offset - 1] = std::move(r.status);
      pending--;
      return true;
    });
    if (err.err) return err;
  }
  return refused;
}

NlError NetlinkSocket::StartDump(std::vector<uint8_t>& request) {
  if (dump_running_) return NlError{EBUSY, "a dump is already running on this socket"};
  ExpectLargeReplies();
  nlmsghdr* hdr = reinterpret_cast<nlmsghdr*>(request.data());
  hdr->nlmsg_seq = dump_seq_ = next_seq_++;
  hdr->nlmsg_pid = 0;
  NlError err = SendBytes(request.data(), request.size());
  if (err.err) return err;
  dump_running_ = true;
  dump_interrupted_ = false;
  return NlError{};
}

NlError NetlinkSocket::ReadDump(const DumpHandler& on_message, bool* finished, NlError* result) {
  *finished = false;
  NlError err = ReadReplies(dump_seq_, 1, [&](Reply& r) {
    if (r.interrupted) dump_interrupted_ = true;
    if (r.end) {
      *result = std::move(r.status);
      if (!result->err && dump_interrupted_) *result = NlError{EINTR, kInterruptedDump};
      *finished = true;
      dump_running_ = false;
      return false;
    }
    if (r.data) on_message(r.msg);
    return true;
  });
  if (err.err) dump_running_ = false;  // a transport failure: the socket is not worth draining
  return err;
}

NlError NetlinkSocket::DrainDump() {
  bool finished = !dump_running_;
  NlError ignored;
  while (!finished) {
    NlError err = ReadDump([](const nlmsghdr*) {}, &finished, &ignored);
    if (err.err) return err;
  }
  return NlError{};
}

NlError NetlinkSocket::IfIndex(const std::string& name, uint32_t* index) const {
  *index = 0;
  ifreq req{};
  if (name.size() >= IFNAMSIZ) return NlError{};  // no link has such a name
  memcpy(req.ifr_name, name.data(), name.size());
  if (ioctl(fd_, SIOCGIFINDEX, &req) < 0) return errno == ENODEV ? NlError{} : Errno("SIOCGIFINDEX");
  *index = static_cast<uint32_t>(req.ifr_ifindex);
  return NlError{};
}

NlError NetlinkSocket::IfName(uint32_t index, std::string* name, bool* found) const {
  *found = false;
  ifreq req{};
  req.ifr_ifindex = static_cast<int>(index);
  if (ioctl(fd_, SIOCGIFNAME, &req) < 0) return errno == ENODEV ? NlError{} : Errno("SIOCGIFNAME");
  name->assign(req.ifr_name, strnlen(req.ifr_name, IFNAMSIZ));
  *found = true;
  return NlError{};
}

NlError NetlinkSocket::NetnsCookie(uint64_t* cookie, bool* known) const {
  *known = false;
  socklen_t len = sizeof(*cookie);
  if (getsockopt(fd_, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) < 0)
    return errno == ENOPROTOOPT ? NlError{} : Errno("SO_NETNS_COOKIE");
  *known = len == sizeof(*cookie);
  return NlError{};
}
