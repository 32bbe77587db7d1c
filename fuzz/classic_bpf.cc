#include "classic_bpf.h"

namespace {

bool IsConditional(uint16_t code) {
  return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA &&
         (BPF_OP(code) == BPF_JEQ || BPF_OP(code) == BPF_JGT || BPF_OP(code) == BPF_JGE || BPF_OP(code) == BPF_JSET);
}

bool Allowed(const sock_filter& insn) {
  switch (BPF_CLASS(insn.code)) {
    case BPF_LD:
      if (BPF_MODE(insn.code) == BPF_ABS || BPF_MODE(insn.code) == BPF_IND) return BPF_SIZE(insn.code) != 0x18;
      return insn.code == (BPF_LD | BPF_W | BPF_LEN) || insn.code == (BPF_LD | BPF_IMM) ||
             insn.code == (BPF_LD | BPF_MEM);
    case BPF_LDX:
      return insn.code == (BPF_LDX | BPF_W | BPF_LEN) || insn.code == (BPF_LDX | BPF_IMM) ||
             insn.code == (BPF_LDX | BPF_MEM) || insn.code == (BPF_LDX | BPF_B | BPF_MSH);
    case BPF_ST:
    case BPF_STX: return insn.code == BPF_ST || insn.code == BPF_STX;
    case BPF_ALU: {
      const uint16_t op = BPF_OP(insn.code);
      if (op == BPF_NEG) return BPF_SRC(insn.code) == BPF_K;
      if ((op == BPF_DIV || op == BPF_MOD) && BPF_SRC(insn.code) == BPF_K && insn.k == 0) return false;
      if ((op == BPF_LSH || op == BPF_RSH) && BPF_SRC(insn.code) == BPF_K && insn.k >= 32) return false;
      return op == BPF_ADD || op == BPF_SUB || op == BPF_MUL || op == BPF_DIV || op == BPF_OR || op == BPF_AND ||
             op == BPF_LSH || op == BPF_RSH || op == BPF_MOD || op == BPF_XOR;
    }
    case BPF_JMP: return BPF_OP(insn.code) == BPF_JA ? insn.code == (BPF_JMP | BPF_JA) : IsConditional(insn.code);
    case BPF_RET: return insn.code == (BPF_RET | BPF_K) || insn.code == (BPF_RET | BPF_A);
    case BPF_MISC: return insn.code == (BPF_MISC | BPF_TAX) || insn.code == (BPF_MISC | BPF_TXA);
  }
  return false;
}

bool Load(const uint8_t* data, size_t len, uint32_t at, uint16_t size, uint32_t* out) {
  const size_t bytes = size == BPF_W ? 4 : size == BPF_H ? 2 : 1;
  if (at > len || bytes > len - at) return false;
  uint32_t v = 0;
  for (size_t i = 0; i < bytes; i++) v = v << 8 | data[at + i];
  *out = v;
  return true;
}

}  // namespace

std::string CheckClassic(const std::vector<sock_filter>& program) {
  const size_t n = program.size();
  if (n == 0 || n > BPF_MAXINSNS) return "length";
  for (size_t pc = 0; pc < n; pc++) {
    const sock_filter& insn = program[pc];
    if (!Allowed(insn)) return "code at " + std::to_string(pc);
    const bool memory = insn.code == BPF_ST || insn.code == BPF_STX || insn.code == (BPF_LD | BPF_MEM) ||
                        insn.code == (BPF_LDX | BPF_MEM);
    if (memory && insn.k >= BPF_MEMWORDS) return "memory word at " + std::to_string(pc);
    if (insn.code == (BPF_JMP | BPF_JA) && insn.k >= n - pc - 1) return "jump at " + std::to_string(pc);
    if (IsConditional(insn.code) && (pc + insn.jt + 1 >= n || pc + insn.jf + 1 >= n))
      return "jump at " + std::to_string(pc);
  }
  if (BPF_CLASS(program[n - 1].code) != BPF_RET) return "no return at the end";
  // Every scratch word read is written before on every path (the kernel's check_load_and_stores).
  std::vector<uint16_t> valid_at(n, 0xffff);
  uint16_t valid = 0;
  for (size_t pc = 0; pc < n; pc++) {
    const sock_filter& insn = program[pc];
    valid &= valid_at[pc];
    if (insn.code == BPF_ST || insn.code == BPF_STX) {
      valid |= static_cast<uint16_t>(1u << insn.k);
    } else if (insn.code == (BPF_LD | BPF_MEM) || insn.code == (BPF_LDX | BPF_MEM)) {
      if (!(valid & (1u << insn.k))) return "memory word read before written at " + std::to_string(pc);
    } else if (insn.code == (BPF_JMP | BPF_JA)) {
      valid_at[pc + 1 + insn.k] &= valid;
      valid = 0xffff;
    } else if (IsConditional(insn.code)) {
      valid_at[pc + 1 + insn.jt] &= valid;
      valid_at[pc + 1 + insn.jf] &= valid;
      valid = 0xffff;
    }
  }
  return "";
}

uint32_t RunClassic(const std::vector<sock_filter>& program, const uint8_t* data, size_t len) {
  uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
  for (size_t pc = 0; pc < program.size(); pc++) {
    const sock_filter& insn = program[pc];
    const uint32_t src = BPF_SRC(insn.code) == BPF_X ? x : insn.k;
    switch (BPF_CLASS(insn.code)) {
      case BPF_LD:
        switch (BPF_MODE(insn.code)) {
          case BPF_ABS:
            if (!Load(data, len, insn.k, BPF_SIZE(insn.code), &a)) return 0;
            break;
          case BPF_IND:
            if (!Load(data, len, x + insn.k, BPF_SIZE(insn.code), &a)) return 0;
            break;
          case BPF_LEN: a = static_cast<uint32_t>(len); break;
          case BPF_IMM: a = insn.k; break;
          case BPF_MEM: a = mem[insn.k]; break;
        }
        break;
      case BPF_LDX:
        switch (BPF_MODE(insn.code)) {
          case BPF_LEN: x = static_cast<uint32_t>(len); break;
          case BPF_IMM: x = insn.k; break;
          case BPF_MEM: x = mem[insn.k]; break;
          case BPF_MSH: {
            uint32_t b = 0;
            if (!Load(data, len, insn.k, BPF_B, &b)) return 0;
            x = (b & 0xf) << 2;
            break;
          }
        }
        break;
      case BPF_ST: mem[insn.k] = a; break;
      case BPF_STX: mem[insn.k] = x; break;
      case BPF_ALU:
        switch (BPF_OP(insn.code)) {
          case BPF_ADD: a += src; break;
          case BPF_SUB: a -= src; break;
          case BPF_MUL: a *= src; break;
          case BPF_DIV:
            if (src == 0) return 0;
            a /= src;
            break;
          case BPF_MOD:
            if (src == 0) return 0;
            a %= src;
            break;
          case BPF_OR: a |= src; break;
          case BPF_AND: a &= src; break;
          case BPF_XOR: a ^= src; break;
          case BPF_LSH: a <<= src & 31; break;
          case BPF_RSH: a >>= src & 31; break;
          case BPF_NEG: a = 0 - a; break;
        }
        break;
      case BPF_JMP: {
        bool taken = false;
        switch (BPF_OP(insn.code)) {
          case BPF_JA: pc += insn.k; continue;
          case BPF_JEQ: taken = a == src; break;
          case BPF_JGT: taken = a > src; break;
          case BPF_JGE: taken = a >= src; break;
          case BPF_JSET: taken = (a & src) != 0; break;
        }
        pc += taken ? insn.jt : insn.jf;
        break;
      }
      case BPF_RET: return BPF_RVAL(insn.code) == BPF_A ? a : insn.k;
      case BPF_MISC:
        if (BPF_MISCOP(insn.code) == BPF_TAX)
          x = a;
        else
          a = x;
        break;
    }
  }
  return 0;
}
