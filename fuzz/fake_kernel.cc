#include "fake_kernel.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <poll.h>
#include <sanitizer/asan_interface.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

extern "C" {
int __real_socket(int domain, int type, int protocol);
int __real_bind(int fd, const sockaddr* addr, socklen_t len);
int __real_getsockname(int fd, sockaddr* addr, socklen_t* len);
int __real_setsockopt(int fd, int level, int name, const void* value, socklen_t len);
ssize_t __real_sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* to, socklen_t to_len);
ssize_t __real_sendmsg(int fd, const msghdr* msg, int flags);
ssize_t __real_recvmsg(int fd, msghdr* msg, int flags);
int __real_poll(pollfd* fds, nfds_t n, int timeout);
int __real_ioctl(int fd, unsigned long request, void* arg);
}

namespace fake_kernel {
namespace {

enum class Mode { kOff, kReplay, kCapture };

struct State {
  Mode mode = Mode::kOff;
  const std::vector<Chunk>* replay = nullptr;
  size_t next = 0;       // the next chunk to replay
  bool retried = false;  // the next chunk's kInterrupted / kNotYet failure has been given
  std::vector<Chunk>* recorded = nullptr;
  uint32_t base_seq = 0;   // the first sequence number of the latest send
  uint32_t real_port = 0;  // capture: the socket's real port id
};
State state;

// Adds delta to the sequence number of every message of the buffer (as the socket walks them), and of the
// request that an error message quotes.
void ShiftSequence(uint8_t* data, size_t size, uint32_t delta, bool to_fake_port) {
  long len = static_cast<long>(size);
  for (nlmsghdr* msg = reinterpret_cast<nlmsghdr*>(data); NLMSG_OK(msg, len); msg = NLMSG_NEXT(msg, len)) {
    msg->nlmsg_seq += delta;
    if (to_fake_port && msg->nlmsg_pid == state.real_port) msg->nlmsg_pid = kPort;
    if (msg->nlmsg_type == NLMSG_ERROR && msg->nlmsg_len >= NLMSG_LENGTH(sizeof(nlmsgerr))) {
      nlmsgerr* e = static_cast<nlmsgerr*>(NLMSG_DATA(msg));
      e->msg.nlmsg_seq += delta;
    }
  }
}

void NoteSend(const void* first_message, size_t len) {
  if (len < sizeof(nlmsghdr)) return;
  nlmsghdr hdr;
  memcpy(&hdr, first_message, sizeof(hdr));
  state.base_seq = hdr.nlmsg_seq;
}

ssize_t ReplayReceive(msghdr* msg) {
  if (state.next >= state.replay->size()) {
    errno = EAGAIN;
    return -1;
  }
  const Chunk& chunk = (*state.replay)[state.next];
  if ((chunk.control & (kInterrupted | kNotYet)) && !state.retried) {
    state.retried = true;
    errno = (chunk.control & kInterrupted) ? EINTR : EAGAIN;
    return -1;
  }
  state.next++;
  state.retried = false;
  if (chunk.control & kNoBuffers) {
    errno = ENOBUFS;
    return -1;
  }
  msg->msg_flags = 0;
  if (msg->msg_name && msg->msg_namelen >= sizeof(sockaddr_nl)) {
    sockaddr_nl from{};
    from.nl_family = AF_NETLINK;
    from.nl_pid = (chunk.control & kForeignSender) ? 4242 : 0;
    memcpy(msg->msg_name, &from, sizeof(from));
    msg->msg_namelen = sizeof(from);
  }
  // One iovec is all NetlinkSocket uses; a datagram larger than it is cut, as the kernel does.
  size_t room = msg->msg_iovlen ? msg->msg_iov[0].iov_len : 0;
  size_t len = chunk.bytes.size();
  if (len > room) {
    len = room;
    msg->msg_flags |= MSG_TRUNC;
  }
  uint8_t* buffer = static_cast<uint8_t*>(msg->msg_iov[0].iov_base);
  // The receive buffer is one large allocation: a read past the datagram but inside the buffer would be
  // invisible to ASan. Poison what the datagram does not fill until the next receive.
  ASAN_UNPOISON_MEMORY_REGION(buffer, room);
  if (len) memcpy(buffer, chunk.bytes.data(), len);
  ASAN_POISON_MEMORY_REGION(buffer + len, room - len);
  ShiftSequence(buffer, len, state.base_seq, false);
  if (chunk.control & kTruncated) msg->msg_flags |= MSG_TRUNC;
  return static_cast<ssize_t>(len);
}

}  // namespace

void StartReplay(const std::vector<Chunk>* chunks) {
  state = State{};
  state.mode = Mode::kReplay;
  state.replay = chunks;
}

void StartCapture(std::vector<Chunk>* recorded) {
  state = State{};
  state.mode = Mode::kCapture;
  state.recorded = recorded;
}

void Stop() { state = State{}; }

size_t Received() {
  if (state.mode == Mode::kReplay) return state.next;
  return state.recorded ? state.recorded->size() : 0;
}

}  // namespace fake_kernel

using fake_kernel::Mode;
using fake_kernel::state;

extern "C" {

int __wrap_socket(int domain, int type, int protocol) {
  if (state.mode != Mode::kReplay) return __real_socket(domain, type, protocol);
  // A real descriptor (close works on it).
  return open("/dev/null", O_RDWR | O_CLOEXEC);
}

int __wrap_bind(int fd, const sockaddr* addr, socklen_t len) {
  if (state.mode != Mode::kReplay) return __real_bind(fd, addr, len);
  return 0;
}

// Buffer sizes, netlink options and multicast groups: all taken in replay (the replayed chunks stand for the
// notifications of a joined group as much as for replies).
int __wrap_setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
  if (state.mode != Mode::kReplay) return __real_setsockopt(fd, level, name, value, len);
  return 0;
}

int __wrap_getsockname(int fd, sockaddr* addr, socklen_t* len) {
  if (state.mode == Mode::kReplay) {
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    local.nl_pid = fake_kernel::kPort;
    memcpy(addr, &local, sizeof(local) < *len ? sizeof(local) : *len);
    *len = sizeof(local);
    return 0;
  }
  int r = __real_getsockname(fd, addr, len);
  if (r == 0 && state.mode == Mode::kCapture) state.real_port = reinterpret_cast<sockaddr_nl*>(addr)->nl_pid;
  return r;
}

ssize_t __wrap_sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* to, socklen_t to_len) {
  if (state.mode != Mode::kOff) fake_kernel::NoteSend(buf, len);
  if (state.mode == Mode::kReplay) return static_cast<ssize_t>(len);
  return __real_sendto(fd, buf, len, flags, to, to_len);
}

ssize_t __wrap_sendmsg(int fd, const msghdr* msg, int flags) {
  size_t total = 0;
  for (size_t i = 0; i < msg->msg_iovlen; i++) total += msg->msg_iov[i].iov_len;
  if (state.mode != Mode::kOff && msg->msg_iovlen)
    fake_kernel::NoteSend(msg->msg_iov[0].iov_base, msg->msg_iov[0].iov_len);
  if (state.mode == Mode::kReplay) return static_cast<ssize_t>(total);
  return __real_sendmsg(fd, msg, flags);
}

ssize_t __wrap_recvmsg(int fd, msghdr* msg, int flags) {
  if (state.mode == Mode::kReplay) return fake_kernel::ReplayReceive(msg);
  ssize_t r = __real_recvmsg(fd, msg, flags);
  if (state.mode != Mode::kCapture) return r;
  if (r < 0) {
    if (errno == ENOBUFS) state.recorded->push_back(fake_kernel::Chunk{fake_kernel::kNoBuffers, {}});
    return r;
  }
  int saved = errno;
  fake_kernel::Chunk chunk;
  const uint8_t* data = static_cast<const uint8_t*>(msg->msg_iov[0].iov_base);
  chunk.bytes.assign(data, data + r);
  fake_kernel::ShiftSequence(chunk.bytes.data(), chunk.bytes.size(), 0u - state.base_seq, true);
  if (msg->msg_flags & MSG_TRUNC) chunk.control |= fake_kernel::kTruncated;
  const sockaddr_nl* from = static_cast<const sockaddr_nl*>(msg->msg_name);
  if (from && from->nl_pid != 0) chunk.control |= fake_kernel::kForeignSender;
  state.recorded->push_back(std::move(chunk));
  errno = saved;
  return r;
}

int __wrap_poll(pollfd* fds, nfds_t n, int timeout) {
  if (state.mode != Mode::kReplay) return __real_poll(fds, n, timeout);
  // Readable while there is something left to replay; otherwise the deadline passes at once.
  if (state.next < state.replay->size()) {
    for (nfds_t i = 0; i < n; i++) fds[i].revents = POLLIN;
    return static_cast<int>(n);
  }
  for (nfds_t i = 0; i < n; i++) fds[i].revents = 0;
  return 0;
}

// Interface names by index (SIOCGIFNAME) and indexes by name (SIOCGIFINDEX). In replay, a fixed world:
// links 1-63 exist, named "link<N>" (odd N) or with a full 15-byte name (even N).
int __wrap_ioctl(int fd, unsigned long request, void* arg) {
  if (state.mode != Mode::kReplay) return __real_ioctl(fd, request, arg);
  ifreq* req = static_cast<ifreq*>(arg);
  if (request == SIOCGIFNAME) {
    const int index = req->ifr_ifindex;
    if (index < 1 || index > 63) {
      errno = ENODEV;
      return -1;
    }
    memset(req->ifr_name, 0, IFNAMSIZ);
    if (index % 2)
      snprintf(req->ifr_name, IFNAMSIZ, "link%d", index);
    else
      memset(req->ifr_name, 'a' + index % 26, IFNAMSIZ - 1);
    return 0;
  }
  if (request == SIOCGIFINDEX) {
    unsigned index = 0;
    if (sscanf(req->ifr_name, "link%u", &index) != 1 || index < 1 || index > 63) {
      errno = ENODEV;
      return -1;
    }
    req->ifr_ifindex = static_cast<int>(index);
    return 0;
  }
  errno = ENOTTY;
  return -1;
}

}  // extern "C"
