// FirewallSocket's lockdown table against the kernel, with nft as the oracle: the chains hold exactly the rules
// asked for, in nft's own words (each with its description as its comment); a second set changes nothing; a rule
// gone is seen; remove leaves the ruleset exactly as it was; bad input is refused before anything is sent.
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../src/index.js';
import {
  describeFilterRules,
  ForeignTableError,
  LOCKDOWN_TABLE_COMMENT,
  openFirewall,
  type FilterRule,
} from '../src/netlink/index.js';
import { defer } from './support/cleanup.js';
import { createNetns } from './support/netns.js';
import { nft, ruleset } from './support/server-world.js';

const RULES: FilterRule[] = [
  { oif: 'vpn', verdict: 'accept' },
  { family: 4, daddr: '198.51.100.10', protocol: 'tcp', dport: 655, verdict: 'accept' },
  { family: 6, daddr: '2001:db8::10', protocol: 'udp', dport: 655, verdict: 'accept' },
  { family: 4, protocol: 'udp', sport: 68, dport: 67, verdict: 'accept' },
  { family: 6, protocol: 'icmpv6', icmpv6Types: [133, 136], verdict: 'accept' },
  { protocol: 'udp', dport: 53, verdict: 'reject' },
  { family: 4, oif: 'eth0', daddr: '172.16.0.0/12', verdict: 'accept' },
  { family: 6, oif: 'eth0', daddr: 'fe80::/10', verdict: 'accept' },
  { protocol: 'tcp', verdict: 'reject' },
  { verdict: 'reject' },
];

/** What nft lists for each rule: its own reading of our bytes, then our comment. */
const NFT_RULES = [
  'oifname "vpn" accept',
  'ip daddr 198.51.100.10 tcp dport 655 accept',
  'ip6 daddr 2001:db8::10 udp dport 655 accept',
  'meta nfproto ipv4 udp sport 68 udp dport 67 accept',
  'icmpv6 type 133-136 accept',
  'udp dport 53 reject with icmpx admin-prohibited',
  'oifname "eth0" ip daddr 172.16.0.0/12 accept',
  'oifname "eth0" ip6 daddr fe80::/10 accept',
  'meta l4proto tcp reject with tcp reset',
  'reject with icmpx admin-prohibited',
];

describe('FirewallSocket lockdown', () => {
  it('makes both chains hold exactly the rules, idempotently, and removes the table exactly', async () => {
    const ns = await createNetns('fw');
    const before = await ruleset(ns);
    const fw = await openFirewall({ netns: ns });
    defer(() => fw.close());
    expect((await fw.listLockdown()).exists).toBe(false);
    expect(await fw.setLockdown(RULES)).toBe(true);

    const text = await nft(ns, 'list', 'table', 'inet', 'redirect_gateway_lockdown');
    const described = describeFilterRules(RULES);
    expect(text).toContain(`comment "${LOCKDOWN_TABLE_COMMENT}"`);
    for (const [chain, hook] of [
      ['output', 'output'],
      ['forward', 'forward'],
    ]) {
      const body = text.split(`chain ${chain} {`)[1].split('}')[0];
      const lines = body
        .trim()
        .split('\n')
        .map((l) => l.trim());
      expect(lines[0]).toBe(`type filter hook ${hook} priority filter; policy accept;`);
      expect(lines.slice(1)).toEqual(NFT_RULES.map((r, i) => `${r} comment "${described[i]}"`));
    }
    expect(await fw.listLockdown()).toEqual({
      exists: true,
      oursOnly: true,
      owned: true,
      chains: [
        { name: 'output', exists: true, rules: described },
        { name: 'forward', exists: true, rules: described },
      ],
    });

    const handles = await ruleset(ns);
    expect(await fw.setLockdown(RULES)).toBe(false);
    expect(await ruleset(ns)).toBe(handles);

    await nft(ns, 'delete', 'rule', 'inet', 'redirect_gateway_lockdown', 'output', 'handle', '5');
    expect((await fw.listLockdown()).chains[0].rules).toHaveLength(RULES.length - 1);
    expect(await fw.setLockdown(RULES)).toBe(true);
    expect((await fw.listLockdown()).chains[0].rules).toEqual(described);

    expect(await fw.removeLockdown()).toBe(true);
    expect(await ruleset(ns)).toBe(before);
    expect(await fw.removeLockdown()).toBe(false);
  });

  it('leaves a table of its name that is not ours alone', async () => {
    const ns = await createNetns('fw');
    const fw = await openFirewall({ netns: ns });
    defer(() => fw.close());
    await nft(ns, 'add table inet redirect_gateway_lockdown');
    await nft(ns, 'add chain inet redirect_gateway_lockdown output { type filter hook output priority 0; }');
    await nft(ns, 'add rule inet redirect_gateway_lockdown output counter');
    const theirs = await ruleset(ns);
    expect(await fw.listLockdown()).toMatchObject({ exists: true, oursOnly: false, owned: false });
    await expect(fw.setLockdown(RULES)).rejects.toBeInstanceOf(ForeignTableError);
    await expect(fw.removeLockdown()).rejects.toBeInstanceOf(ForeignTableError);
    expect(await ruleset(ns)).toBe(theirs);
  });

  it('refuses bad input before anything is sent', async () => {
    const ns = await createNetns('fw');
    const fw = await openFirewall({ netns: ns });
    defer(() => fw.close());
    const before = await ruleset(ns);
    const bad: unknown[] = [
      { daddr: '198.51.100.10', verdict: 'accept' }, // a destination without a family
      { family: 4, daddr: '198.51.100.0/16', verdict: 'accept' }, // host bits
      { family: 6, daddr: '198.51.100.10', verdict: 'accept' },
      { dport: 53, verdict: 'reject' }, // a port without tcp or udp
      { protocol: 'udp', icmpv6Types: [133, 136], verdict: 'accept' },
      { protocol: 'icmpv6', icmpv6Types: [136, 133], verdict: 'accept' },
      { protocol: 'tcp', dport: 70000, verdict: 'accept' },
      { oif: 'eth0"; flush ruleset', verdict: 'accept' },
      { verdict: 'drop' },
      null,
    ];
    for (const rule of bad) {
      await expect(fw.setLockdown([rule as FilterRule])).rejects.toBeInstanceOf(InvalidInputError);
    }
    expect(await ruleset(ns)).toBe(before);
  });
});
