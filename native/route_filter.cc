#include "route_filter.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstring>
#include <limits>

namespace {

// A program under construction. Jumps name labels; Finish resolves them (forward only, as classic BPF
// requires; a conditional jump reaches at most 255 instructions, an unconditional one anywhere).
class Program {
 public:
  using Label = size_t;
  static constexpr Label kNext = std::numeric_limits<size_t>::max();  // the next instruction

  Label NewLabel() {
    labels_.push_back(kUnbound);
    return labels_.size() - 1;
  }
  void Bind(Label label) { labels_[label] = code_.size(); }
  void Op(uint16_t code, uint32_t k = 0) { code_.push_back(BPF_STMT(code, k)); }
  // A conditional jump: BPF_JEQ etc., comparing A with k (BPF_K) or X (BPF_X).
  void Jump(uint16_t test, uint32_t k, Label if_true, Label if_false) {
    jumps_.push_back({code_.size(), if_true, if_false});
    code_.push_back(BPF_JUMP(BPF_JMP | test, k, 0, 0));
  }
  void Goto(Label label) {
    jumps_.push_back({code_.size(), label, kNext});
    code_.push_back(BPF_STMT(BPF_JMP | BPF_JA, 0));
  }
  void Return(uint32_t verdict) { Op(BPF_RET | BPF_K, verdict); }

  // The instructions, or false when the program is too long or a jump does not reach.
  bool Finish(std::vector<sock_filter>* out) {
    if (code_.size() > BPF_MAXINSNS) return false;
    for (const Fixup& jump : jumps_) {
      sock_filter& insn = code_[jump.at];
      const size_t if_true = Offset(jump.at, jump.if_true), if_false = Offset(jump.at, jump.if_false);
      if (BPF_OP(insn.code) == BPF_JA) {
        if (if_true > std::numeric_limits<uint32_t>::max()) return false;
        insn.k = static_cast<uint32_t>(if_true);
      } else {
        if (if_true > 255 || if_false > 255) return false;
        insn.jt = static_cast<uint8_t>(if_true);
        insn.jf = static_cast<uint8_t>(if_false);
      }
    }
    *out = std::move(code_);
    return true;
  }

 private:
  static constexpr size_t kUnbound = std::numeric_limits<size_t>::max();
  struct Fixup {
    size_t at;
    Label if_true, if_false;
  };
  // Instructions skipped from the jump at `at` to the label (a huge number where it is not forward).
  size_t Offset(size_t at, Label label) const {
    if (label == kNext) return 0;
    const size_t target = labels_[label];
    return target == kUnbound || target <= at ? kUnbound : target - at - 1;
  }

  std::vector<sock_filter> code_;
  std::vector<size_t> labels_;
  std::vector<Fixup> jumps_;
};

using Label = Program::Label;
constexpr Label kNext = Program::kNext;

// Netlink is host-endian; classic BPF loads halfwords and words big-endian. (BPF_K, the constant operand, is
// 0: the ALU operations below leave it out.)
constexpr bool kLittleEndian = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
// The offset of the byte of significance `byte` (0: the least) of a host-order field of `size` bytes.
constexpr uint32_t ByteOf(uint32_t offset, uint32_t size, uint32_t byte) {
  return offset + (kLittleEndian ? byte : size - 1 - byte);
}
uint32_t BigEndianWord(const uint8_t* bytes) {
  return static_cast<uint32_t>(bytes[0]) << 24 | static_cast<uint32_t>(bytes[1]) << 16 |
         static_cast<uint32_t>(bytes[2]) << 8 | bytes[3];
}
// A host-order value as BPF_W / BPF_H loads see it.
uint32_t AsLoaded32(uint32_t value) {
  uint8_t bytes[4];
  memcpy(bytes, &value, 4);
  return BigEndianWord(bytes);
}
uint32_t AsLoaded16(uint16_t value) {
  uint8_t bytes[2];
  memcpy(bytes, &value, 2);
  return static_cast<uint32_t>(bytes[0]) << 8 | bytes[1];
}

constexpr uint32_t kRtm = NLMSG_HDRLEN;
constexpr uint32_t kFamilyAt = kRtm + offsetof(rtmsg, rtm_family);
constexpr uint32_t kDstLenAt = kRtm + offsetof(rtmsg, rtm_dst_len);
constexpr uint32_t kProtocolAt = kRtm + offsetof(rtmsg, rtm_protocol);
constexpr uint32_t kAttributesAt = NLMSG_LENGTH(sizeof(rtmsg));
constexpr uint32_t kAll = 0xffffffff;

// The scratch memory: the attribute walked (its offset, the bytes left, its length), RTA_DST's offset (0:
// none) and length, RTA_MULTIPATH's offset, which of RTA_OIF and RTA_NH_ID came (kSaw*), and the
// destination's prefix masks and words (one for IPv4, four for IPv6).
enum Slot : uint32_t {
  kOff,
  kRest,
  kLen,
  kDst,
  kDstSize,
  kScratch,
  kMultipath,
  kPaths,
  kMask,
  kWord = kMask + 4,
  kSlots = kWord + 4
};
constexpr uint32_t kSawOif = 1, kSawNexthop = 2;

class FilterWriter {
 public:
  FilterWriter(const RouteInterest& interest, const std::vector<RoutePrefix>& prefixes)
      : interest_(interest), prefixes_(prefixes) {}

  bool Write(std::vector<sock_filter>* out) {
    // Too long already in the prefixes' tests alone: said before thousands of instructions are written.
    size_t tests = 0;
    for (const RoutePrefix& p : prefixes_) tests += Cost(p, p.family == AF_INET ? 1 : 4);
    if (tests > BPF_MAXINSNS) return false;
    const Label walk = p_.NewLabel(), pass = p_.NewLabel(), end = p_.NewLabel();
    // The kernel's check of scratch memory lets a return fall through into what follows: all of it is
    // written first (RTA_DST's offset 0: none yet).
    p_.Op(BPF_LD | BPF_IMM, 0);
    for (uint32_t slot = 0; slot < kSlots; slot++) p_.Op(BPF_ST, slot);
    Header(pass);
    p_.Goto(walk);
    p_.Bind(pass);
    p_.Return(kFilterPass);
    p_.Bind(walk);
    for (int i = 0; i < kFilterAttributes; i++) Attribute(end);
    // Attributes left after the walk: not read whole.
    p_.Op(BPF_LD | BPF_W | BPF_LEN);
    p_.Jump(BPF_JEQ | BPF_X, 0, end, kNext);
    p_.Return(kFilterPass);
    p_.Bind(end);
    if (interest_.oif) Paths();
    Destination();
    return p_.Finish(out);
  }

 private:
  // A single route notification of a known family, whose other fields do not make it interesting yet.
  void Header(Label pass) {
    const Label route = p_.NewLabel(), family = p_.NewLabel();
    p_.Op(BPF_LD | BPF_W | BPF_LEN);
    p_.Jump(BPF_JGE | BPF_K, kAttributesAt, kNext, pass);
    p_.Op(BPF_LD | BPF_H | BPF_ABS, offsetof(nlmsghdr, nlmsg_type));
    p_.Jump(BPF_JEQ | BPF_K, AsLoaded16(RTM_NEWROUTE), route, kNext);
    p_.Jump(BPF_JEQ | BPF_K, AsLoaded16(RTM_DELROUTE), route, pass);
    p_.Bind(route);
    // One message, the whole datagram: nlmsg_len (below 64 KiB) is the length.
    for (uint32_t byte : {3u, 2u}) {
      p_.Op(BPF_LD | BPF_B | BPF_ABS, ByteOf(0, 4, byte));
      p_.Jump(BPF_JEQ | BPF_K, 0, kNext, pass);
    }
    p_.Op(BPF_LD | BPF_B | BPF_ABS, ByteOf(0, 4, 1));
    p_.Op(BPF_ALU | BPF_LSH, 8);
    p_.Op(BPF_MISC | BPF_TAX);
    p_.Op(BPF_LD | BPF_B | BPF_ABS, ByteOf(0, 4, 0));
    p_.Op(BPF_ALU | BPF_OR | BPF_X);
    p_.Op(BPF_MISC | BPF_TAX);
    p_.Op(BPF_LD | BPF_W | BPF_LEN);
    p_.Jump(BPF_JEQ | BPF_X, 0, kNext, pass);
    p_.Op(BPF_LD | BPF_B | BPF_ABS, kFamilyAt);
    p_.Jump(BPF_JEQ | BPF_K, AF_INET, family, kNext);
    p_.Jump(BPF_JEQ | BPF_K, AF_INET6, family, pass);
    p_.Bind(family);
    if (interest_.protocol) {
      p_.Op(BPF_LD | BPF_B | BPF_ABS, kProtocolAt);
      p_.Jump(BPF_JEQ | BPF_K, interest_.protocol, pass, kNext);
    }
    p_.Op(BPF_LD | BPF_B | BPF_ABS, kDstLenAt);
    p_.Jump(BPF_JEQ | BPF_K, 0, pass, kNext);
    p_.Op(BPF_LDX | BPF_IMM, kAttributesAt);
  }

  // One attribute at offset X (the message's end: to `end`), its header whole: RTA_DST noted, and with an
  // interface of interest RTA_OIF compared (and noted), RTA_MULTIPATH and RTA_NH_ID noted; X moves to the next.
  void Attribute(Label end) {
    const Label pass = p_.NewLabel(), at_end = p_.NewLabel(), dst = p_.NewLabel(), oif = p_.NewLabel(),
                multipath = p_.NewLabel(), nexthop = p_.NewLabel(), advance = p_.NewLabel(), next = p_.NewLabel();
    Item(BPF_LD | BPF_W | BPF_LEN, 0, sizeof(rtattr), offsetof(rtattr, rta_len), kRest, at_end, pass);
    // rta_type: below 256 (no flags).
    p_.Op(BPF_LD | BPF_B | BPF_IND, ByteOf(offsetof(rtattr, rta_type), 2, 1));
    p_.Jump(BPF_JEQ | BPF_K, 0, kNext, pass);
    p_.Op(BPF_LD | BPF_B | BPF_IND, ByteOf(offsetof(rtattr, rta_type), 2, 0));
    if (interest_.oif) {
      p_.Jump(BPF_JEQ | BPF_K, RTA_DST, dst, kNext);
      p_.Jump(BPF_JEQ | BPF_K, RTA_OIF, oif, kNext);
      p_.Jump(BPF_JEQ | BPF_K, RTA_MULTIPATH, multipath, kNext);
      p_.Jump(BPF_JEQ | BPF_K, RTA_NH_ID, nexthop, advance);
    } else {
      p_.Jump(BPF_JEQ | BPF_K, RTA_DST, dst, advance);
    }
    p_.Bind(dst);
    p_.Op(BPF_MISC | BPF_TXA);
    p_.Op(BPF_ST, kDst);
    p_.Op(BPF_LD | BPF_MEM, kLen);
    p_.Op(BPF_ST, kDstSize);
    p_.Goto(advance);
    if (interest_.oif) {
      p_.Bind(multipath);
      p_.Op(BPF_MISC | BPF_TXA);
      p_.Op(BPF_ST, kMultipath);
      p_.Goto(advance);
      p_.Bind(nexthop);
      Note(kSawNexthop);
      p_.Goto(advance);
      p_.Bind(oif);
      Note(kSawOif);
      p_.Op(BPF_LD | BPF_MEM, kLen);
      p_.Jump(BPF_JEQ | BPF_K, RTA_LENGTH(sizeof(uint32_t)), kNext, pass);
      p_.Op(BPF_LD | BPF_MEM, kRest);
      p_.Jump(BPF_JGE | BPF_K, RTA_LENGTH(sizeof(uint32_t)), kNext, pass);
      p_.Op(BPF_LD | BPF_W | BPF_IND, RTA_LENGTH(0));
      p_.Jump(BPF_JEQ | BPF_K, AsLoaded32(interest_.oif), pass, advance);
    }
    p_.Bind(advance);
    Advance(RTA_ALIGNTO, next);
    p_.Bind(pass);
    p_.Return(kFilterPass);
    p_.Bind(at_end);
    p_.Goto(end);
    p_.Bind(next);
  }

  // The start of one item of a list (an attribute of the message, a path of RTA_MULTIPATH) at offset X, the
  // list's end loaded by (end_code, end_k): X at the end, to at_end; past it or with fewer than `least` bytes
  // left, to pass; the bytes left into `rest`; its u16 length at `length_at` below 256 and at least `least`,
  // into kLen. A length that runs past the list's end puts the next item's offset past it: the next item (or
  // the check after the last) passes the message before anything reads beyond the end, but for a payload
  // read of this item's own, which checks `rest` for itself.
  void Item(uint16_t end_code, uint32_t end_k, uint32_t least, uint32_t length_at, Slot rest, Label at_end,
            Label pass) {
    p_.Op(end_code, end_k);
    p_.Jump(BPF_JEQ | BPF_X, 0, at_end, kNext);
    p_.Jump(BPF_JGT | BPF_X, 0, kNext, pass);
    p_.Op(BPF_ALU | BPF_SUB | BPF_X);
    p_.Jump(BPF_JGE | BPF_K, least, kNext, pass);
    p_.Op(BPF_ST, rest);
    p_.Op(BPF_LD | BPF_B | BPF_IND, ByteOf(length_at, 2, 1));
    p_.Jump(BPF_JEQ | BPF_K, 0, kNext, pass);
    p_.Op(BPF_LD | BPF_B | BPF_IND, ByteOf(length_at, 2, 0));
    p_.Jump(BPF_JGE | BPF_K, least, kNext, pass);
    p_.Op(BPF_ST, kLen);
  }

  // X past the item of length kLen, aligned; then to `next`.
  void Advance(uint32_t align, Label next) {
    p_.Op(BPF_LD | BPF_MEM, kLen);
    p_.Op(BPF_ALU | BPF_ADD, align - 1);
    p_.Op(BPF_ALU | BPF_AND, ~(align - 1));
    p_.Op(BPF_ALU | BPF_ADD | BPF_X);
    p_.Op(BPF_MISC | BPF_TAX);
    p_.Goto(next);
  }

  void Note(uint32_t saw) {
    p_.Op(BPF_LD | BPF_MEM, kPaths);
    p_.Op(BPF_ALU | BPF_OR, saw);
    p_.Op(BPF_ST, kPaths);
  }

  // With an interface of interest, once the attributes are read: a path of RTA_MULTIPATH through it passes, and
  // so does a nexthop object's route that does not say its device (the kernel's nexthop_compat_mode 0).
  void Paths() {
    const Label hops = p_.NewLabel(), no_list = p_.NewLabel(), done = p_.NewLabel();
    p_.Op(BPF_LD | BPF_MEM, kMultipath);
    p_.Jump(BPF_JEQ | BPF_K, 0, kNext, hops);
    p_.Op(BPF_LD | BPF_MEM, kPaths);
    p_.Jump(BPF_JEQ | BPF_K, kSawNexthop, kNext, no_list);
    p_.Return(kFilterPass);
    p_.Bind(no_list);
    p_.Goto(done);
    p_.Bind(hops);
    // The list's end (the step read its length whole, below 256) in kRest; X at its first path.
    p_.Op(BPF_LDX | BPF_MEM, kMultipath);
    p_.Op(BPF_LD | BPF_B | BPF_IND, ByteOf(offsetof(rtattr, rta_len), 2, 0));
    p_.Op(BPF_ALU | BPF_ADD | BPF_X);
    p_.Op(BPF_ST, kRest);
    p_.Op(BPF_MISC | BPF_TXA);
    p_.Op(BPF_ALU | BPF_ADD, RTA_LENGTH(0));
    p_.Op(BPF_MISC | BPF_TAX);
    for (int i = 0; i < kFilterPaths; i++) Hop(done);
    // Paths left after the walk: not read whole.
    p_.Op(BPF_LD | BPF_MEM, kRest);
    p_.Jump(BPF_JEQ | BPF_X, 0, done, kNext);
    p_.Return(kFilterPass);
    p_.Bind(done);
  }

  // One path (struct rtnexthop) at offset X (the list's end, in kRest: to `done`), its header whole: through
  // the interface, passed; X moves to the next.
  void Hop(Label done) {
    const Label pass = p_.NewLabel(), at_end = p_.NewLabel(), next = p_.NewLabel();
    Item(BPF_LD | BPF_MEM, kRest, sizeof(rtnexthop), offsetof(rtnexthop, rtnh_len), kScratch, at_end, pass);
    p_.Op(BPF_LD | BPF_W | BPF_IND, offsetof(rtnexthop, rtnh_ifindex));
    p_.Jump(BPF_JEQ | BPF_K, AsLoaded32(interest_.oif), pass, kNext);
    Advance(RTNH_ALIGNTO, next);
    p_.Bind(pass);
    p_.Return(kFilterPass);
    p_.Bind(at_end);
    p_.Goto(done);
    p_.Bind(next);
  }

  // The whole message is read: does its destination prefix meet a prefix of interest?
  void Destination() {
    const Label ipv4 = p_.NewLabel(), ipv6 = p_.NewLabel(), pass = p_.NewLabel();
    p_.Op(BPF_LD | BPF_MEM, kDst);
    p_.Jump(BPF_JEQ | BPF_K, 0, pass, kNext);
    p_.Op(BPF_LD | BPF_B | BPF_ABS, kFamilyAt);
    p_.Jump(BPF_JEQ | BPF_K, AF_INET, ipv4, kNext);
    p_.Goto(ipv6);
    p_.Bind(pass);
    p_.Return(kFilterPass);
    p_.Bind(ipv4);
    Meets(AF_INET, 1);
    p_.Bind(ipv6);
    Meets(AF_INET6, 4);
  }

  // Passes when the destination prefix meets one of the family's prefixes; drops otherwise.
  void Meets(int family, uint32_t words) {
    std::vector<const RoutePrefix*> prefixes;
    for (const RoutePrefix& p : prefixes_)
      if (p.family == family) prefixes.push_back(&p);
    PassUnless(BPF_LD | BPF_MEM, kDstSize, BPF_JEQ, RTA_LENGTH(4 * words));
    PassUnless(BPF_LD | BPF_B | BPF_ABS, kDstLenAt, BPF_JGE, 32 * words + 1, true);
    if (prefixes.empty()) {
      p_.Return(kFilterDrop);
      return;
    }
    // The destination's words, masked (the kernel's are already; the filter does not rely on it).
    for (uint32_t w = 0; w < words; w++) {
      Mask(w);
      p_.Op(BPF_LDX | BPF_MEM, kDst);
      p_.Op(BPF_LD | BPF_W | BPF_IND, RTA_LENGTH(4 * w));
      p_.Op(BPF_LDX | BPF_MEM, kMask + w);
      p_.Op(BPF_ALU | BPF_AND | BPF_X);
      p_.Op(BPF_ST, kWord + w);
    }
    if (words == 1) p_.Op(BPF_MISC | BPF_TAX);
    // The prefixes in groups short enough for a conditional jump to reach past them: a match jumps to its
    // group's pass.
    for (size_t i = 0; i < prefixes.size();) {
      const Label hit = p_.NewLabel(), after = p_.NewLabel();
      for (size_t spent = 0; i < prefixes.size() && spent + Cost(*prefixes[i], words) <= 254; i++) {
        spent += Cost(*prefixes[i], words);
        Test(*prefixes[i], words, hit);
      }
      if (i == prefixes.size()) {
        p_.Return(kFilterDrop);
      } else {
        p_.Goto(after);
      }
      p_.Bind(hit);
      p_.Return(kFilterPass);
      p_.Bind(after);
    }
  }

  // The instructions Test spends on a prefix.
  static size_t Cost(const RoutePrefix& prefix, uint32_t words) {
    if (prefix.length == 0) return 1;
    const size_t not_longer = words == 1 ? 3 : 4 * words;
    return prefix.length == 32 * words ? not_longer : 2 + not_longer + 3 * ((prefix.length + 31) / 32);
  }

  // To `hit` when the destination prefix (its masks in kMask, its masked words in kWord, the only one also
  // in X) meets the prefix; on to what follows otherwise.
  void Test(const RoutePrefix& prefix, uint32_t words, Label hit) {
    if (prefix.length == 0) {
      p_.Goto(hit);
      return;
    }
    const bool host = prefix.length == 32 * words;
    const Label miss = p_.NewLabel(), longer = host ? kNext : p_.NewLabel();
    if (!host) {
      p_.Op(BPF_LD | BPF_B | BPF_ABS, kDstLenAt);
      p_.Jump(BPF_JGT | BPF_K, prefix.length, longer, kNext);
    }
    // The destination no longer than the prefix: the prefix's words under its mask are its own.
    for (uint32_t w = 0; w < words; w++) {
      const bool last = w + 1 == words;
      if (words > 1) p_.Op(BPF_LDX | BPF_MEM, kWord + w);
      p_.Op(BPF_LD | BPF_MEM, kMask + w);
      p_.Op(BPF_ALU | BPF_AND, BigEndianWord(prefix.bytes + 4 * w));
      p_.Jump(BPF_JEQ | BPF_X, 0, last ? hit : kNext, miss);
    }
    if (!host) {
      // Longer than the prefix: its words under the prefix's mask are the prefix's.
      p_.Bind(longer);
      const uint32_t used = (prefix.length + 31) / 32;
      for (uint32_t w = 0; w < used; w++) {
        const bool last = w + 1 == used;
        if (words == 1) {
          p_.Op(BPF_MISC | BPF_TXA);
        } else {
          p_.Op(BPF_LD | BPF_MEM, kWord + w);
        }
        p_.Op(BPF_ALU | BPF_AND, MaskWord(prefix.length, w));
        p_.Jump(BPF_JEQ | BPF_K, BigEndianWord(prefix.bytes + 4 * w), last ? hit : kNext, miss);
      }
    }
    p_.Bind(miss);
  }

  // Word w of a mask of `length` bits.
  static uint32_t MaskWord(unsigned length, uint32_t w) {
    if (length >= 32 * (w + 1)) return kAll;
    if (length <= 32 * w) return 0;
    return kAll << (32 * (w + 1) - length);
  }

  // Loads (code, k) and passes the message unless the test holds (or, with `when`, passes when it holds).
  void PassUnless(uint16_t load, uint32_t k, uint16_t test, uint32_t value, bool when = false) {
    const Label go_on = p_.NewLabel();
    p_.Op(load, k);
    p_.Jump(test | BPF_K, value, when ? kNext : go_on, when ? go_on : kNext);
    p_.Return(kFilterPass);
    p_.Bind(go_on);
  }

  // Word w of the prefix's mask: all ones, none, or the ones of the prefix length's part in it.
  void Mask(uint32_t w) {
    const Label full = p_.NewLabel(), part = p_.NewLabel(), none = p_.NewLabel(), done = p_.NewLabel();
    p_.Op(BPF_LD | BPF_B | BPF_ABS, kDstLenAt);
    // The first word always has a part: a prefix of length 0 passed already.
    p_.Jump(BPF_JGE | BPF_K, 32 * (w + 1), full, w == 0 ? part : kNext);
    if (w > 0) p_.Jump(BPF_JGT | BPF_K, 32 * w, part, none);
    p_.Bind(part);
    p_.Op(BPF_ST, kScratch);
    p_.Op(BPF_LD | BPF_IMM, 32 * (w + 1));
    p_.Op(BPF_LDX | BPF_MEM, kScratch);
    p_.Op(BPF_ALU | BPF_SUB | BPF_X);
    p_.Op(BPF_MISC | BPF_TAX);
    p_.Op(BPF_LD | BPF_IMM, kAll);
    p_.Op(BPF_ALU | BPF_LSH | BPF_X);
    p_.Op(BPF_ST, kMask + w);
    p_.Goto(done);
    p_.Bind(full);
    p_.Op(BPF_LD | BPF_IMM, kAll);
    p_.Op(BPF_ST, kMask + w);
    if (w > 0) {
      p_.Goto(done);
      p_.Bind(none);
      p_.Op(BPF_LD | BPF_IMM, 0);
      p_.Op(BPF_ST, kMask + w);
    }
    p_.Bind(done);
  }

  const RouteInterest& interest_;
  const std::vector<RoutePrefix>& prefixes_;
  Program p_;
};

PrefixWidening Addresses(const RouteInterest& interest, int family) {
  std::vector<RoutePrefix> addresses;
  for (const RouteInterest::Address& a : interest.addresses) {
    if (a.family != family) continue;
    RoutePrefix p;
    memcpy(p.bytes, a.bytes, family == AF_INET ? 4 : 16);
    addresses.push_back(p);
  }
  return PrefixWidening(family, std::move(addresses));
}

}  // namespace

RouteFilter RouteInterestFilter(const RouteInterest& interest) {
  PrefixWidening families[] = {Addresses(interest, AF_INET), Addresses(interest, AF_INET6)};
  for (;;) {
    RouteFilter filter;
    for (const PrefixWidening& f : families) {
      f.AppendTo(&filter.prefixes);
      filter.exact = filter.exact && f.exact();
    }
    if (FilterWriter(interest, filter.prefixes).Write(&filter.program)) return filter;
    // Too long: the family whose tests cost more is widened (an IPv6 prefix costs about five times as much),
    // or the other once it is at length 0. (Both at 0 fit: two tests of one instruction.)
    const bool ipv4 = families[0].count() > 5 * families[1].count();
    if (!families[ipv4 ? 0 : 1].Halve() && !families[ipv4 ? 1 : 0].Halve()) return RouteFilter{{}, {}, false};
  }
}
