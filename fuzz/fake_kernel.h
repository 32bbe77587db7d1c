// The kernel's side of a NETLINK_ROUTE socket, for the fuzzer and the seed capturer.
//
// NetlinkSocket (native/netlink_socket.cc) is linked with -Wl,--wrap for socket, bind, getsockname, setsockopt, sendto,
// sendmsg, recvmsg, poll and ioctl, so its system calls land here. Two modes:
//  - replay: the receive buffers come from a recorded or fuzzed conversation; nothing reaches a kernel.
//  - capture: every call goes to the real kernel, and each receive buffer is recorded.
// Outside both modes the calls go to the real kernel unchanged.
//
// Recorded buffers are normalized so that a conversation replays whatever sequence numbers and port id the
// socket happens to have: each message's nlmsg_seq is stored relative to the first sequence number of the
// socket's latest send, and the socket's port id is stored as kPort.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fake_kernel {

// The port id getsockname() reports in replay, and the one captured replies are rewritten to.
constexpr uint32_t kPort = 0x52470001;

// What one receive call does besides delivering its bytes (a bit set).
enum Control : uint8_t {
  kForeignSender = 1,  // the datagram comes from port 4242, not from the kernel (port 0)
  kTruncated = 2,      // recvmsg reports MSG_TRUNC
  kNoBuffers = 4,      // recvmsg fails with ENOBUFS (the bytes are ignored)
  kInterrupted = 8,    // recvmsg first fails with EINTR
  kNotYet = 16,        // recvmsg first fails with EAGAIN, and poll then says the socket is readable
};

struct Chunk {
  uint8_t control = 0;
  std::vector<uint8_t> bytes;
};

// Replays chunks, one per receive call; when they run out, poll times out (the socket reports ETIMEDOUT).
void StartReplay(const std::vector<Chunk>* chunks);
// Talks to the real kernel and appends each receive buffer to *recorded.
void StartCapture(std::vector<Chunk>* recorded);
void Stop();
// How many receive buffers have been delivered (replay: chunks used, ENOBUFS ones included; capture: recorded).
size_t Received();

}  // namespace fake_kernel
