// linux/fib_rules.h numbers and the names iproute2 gives them.

/** FR_ACT_*: a rule's action. */
export const ruleActions = { lookup: 1, goto: 2, nop: 3, blackhole: 6, unreachable: 7, prohibit: 8 } as const;

/** FIB_RULE_*: a rule's flags. */
export const FIB_RULE_INVERT = 0x2;
export const FIB_RULE_UNRESOLVED = 0x4;
export const FIB_RULE_IIF_DETACHED = 0x8;
export const FIB_RULE_OIF_DETACHED = 0x10;

/** The kernel's "no suppress_prefixlength" (-1 as a u32). */
export const NO_SUPPRESS = 0xffffffff;
export const FULL_MASK = 0xffffffff;

/** IP protocol numbers by the names of /etc/protocols (what `ip rule` prints for ipproto), the common ones. */
export const ipProtocols: Record<string, number> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  dccp: 33,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  sctp: 132,
  udplite: 136,
};
