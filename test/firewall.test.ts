// FirewallSocket against the kernel, with nft as the oracle: our table holds exactly the rules asked for, nft's own
// rules of the same shape are recognised, a second set changes nothing, remove leaves the ruleset exactly as it
// was, another table of the user's is never touched, nor one of our name that is not ours, and bad input is
// refused before anything is sent.
import { describe, expect, it } from 'vitest';
import { InvalidInputError, NetlinkError } from '../src/index.js';
import { ForeignTableError, openFirewall, type FirewallSocket, type MasqueradeRule } from '../src/netlink/index.js';
import { defer } from './support/cleanup.js';
import { createNetns } from './support/netns.js';
import { nft, ruleset } from './support/server-world.js';

async function firewallIn(ns: string): Promise<FirewallSocket> {
  const fw = await openFirewall({ netns: ns });
  defer(() => fw.close());
  return fw;
}

const RULES: MasqueradeRule[] = [
  { family: 4, source: '172.16.0.0/16', oif: 'eth0' },
  { family: 4, source: '10.0.16.0/20', oif: 'up-link_1' },
  { family: 6, source: 'fd00:16::/64', oif: 'eth0' },
  { family: 6, source: 'fd00:17::/61', oif: 'eth0' },
];

const NFT_TEXT = `table inet redirect_gateway {
\tcomment "managed by redirect-gateway serve"
\tchain postrouting {
\t\ttype nat hook postrouting priority srcnat; policy accept;
\t\tip saddr 172.16.0.0/16 oifname "eth0" masquerade
\t\tip saddr 10.0.16.0/20 oifname "up-link_1" masquerade
\t\tip6 saddr fd00:16::/64 oifname "eth0" masquerade
\t\tip6 saddr fd00:17::/61 oifname "eth0" masquerade
\t}
}
`;

describe('FirewallSocket', () => {
  it('makes our table hold exactly the rules, idempotently, and removes it exactly', async () => {
    const ns = await createNetns('fw');
    await nft(ns, 'add table ip user_nat');
    await nft(ns, 'add chain ip user_nat post { type nat hook postrouting priority 50; }');
    await nft(ns, 'add rule ip user_nat post ip saddr 192.168.0.0/16 masquerade');
    const before = await ruleset(ns);
    const fw = await firewallIn(ns);

    expect(await fw.listMasquerade()).toEqual([]);
    expect(await fw.setMasquerade(RULES)).toBe(true);
    expect(await nft(ns, 'list', 'table', 'inet', 'redirect_gateway')).toBe(NFT_TEXT);
    expect(await fw.listMasquerade()).toEqual(RULES);

    const handles = await ruleset(ns);
    expect(await fw.setMasquerade(RULES)).toBe(false);
    expect(await ruleset(ns)).toBe(handles); // not even rewritten: the same handles

    expect(await fw.setMasquerade(RULES.slice(1, 2))).toBe(true);
    expect(await fw.listMasquerade()).toEqual(RULES.slice(1, 2));
    expect(await nft(ns, 'list', 'table', 'ip', 'user_nat')).toContain('ip saddr 192.168.0.0/16 masquerade');

    expect(await fw.removeMasquerade()).toBe(true);
    expect(await ruleset(ns)).toBe(before);
    expect(await fw.removeMasquerade()).toBe(false);
    expect(await ruleset(ns)).toBe(before);
  });

  it("recognises nft's own rules of our shape; a table of our name with more in it is not ours", async () => {
    const ns = await createNetns('fw');
    const fw = await firewallIn(ns);
    await nft(ns, 'add table inet redirect_gateway');
    await nft(ns, 'add chain inet redirect_gateway postrouting { type nat hook postrouting priority srcnat; }');
    for (const r of RULES) {
      await nft(
        ns,
        `add rule inet redirect_gateway postrouting ${r.family === 6 ? 'ip6' : 'ip'} saddr ${r.source} oifname "${r.oif}" masquerade`,
      );
    }
    // Exactly what we make (as a version before the comment made it): ours.
    expect(await fw.readTable()).toEqual({ owner: 'ours', rules: RULES });
    const handles = await ruleset(ns);
    expect(await fw.setMasquerade(RULES)).toBe(false);
    expect(await ruleset(ns)).toBe(handles);

    // Something else in it (a rule of another shape, a second chain), and no comment of ours: not ours.
    await nft(ns, 'add rule inet redirect_gateway postrouting ip saddr 172.16.0.0/16 oifname "eth0" masquerade random');
    await nft(ns, 'add chain inet redirect_gateway other');
    const theirs = await ruleset(ns);
    expect(await fw.readTable()).toEqual({ owner: 'foreign' });
    expect(await fw.listMasquerade()).toEqual([]);
    await expect(fw.setMasquerade(RULES)).rejects.toBeInstanceOf(ForeignTableError);
    await expect(fw.removeMasquerade()).rejects.toBeInstanceOf(ForeignTableError);
    expect(await ruleset(ns)).toBe(theirs);

    // Ours (our comment) with something added to it: replaced by exactly ours.
    await nft(ns, 'delete table inet redirect_gateway');
    expect(await fw.setMasquerade(RULES)).toBe(true);
    await nft(ns, 'add chain inet redirect_gateway other');
    expect(await fw.readTable()).toEqual({ owner: 'ours', rules: RULES });
    expect(await fw.setMasquerade(RULES)).toBe(true);
    expect(await nft(ns, 'list', 'table', 'inet', 'redirect_gateway')).toBe(NFT_TEXT);
  });

  it('refuses bad input before anything is sent', async () => {
    const ns = await createNetns('fw');
    const fw = await firewallIn(ns);
    const before = await ruleset(ns);
    const bad: unknown[] = [
      [{ family: 4, source: '172.16.1.1/16', oif: 'eth0' }], // host bits
      [{ family: 4, source: '0.0.0.0/0', oif: 'eth0' }],
      [{ family: 6, source: '172.16.0.0/16', oif: 'eth0' }],
      [{ family: 4, source: '300.1.2.3/8', oif: 'eth0' }],
      [{ family: 4, source: '172.16.0.0/16', oif: 'a-name-far-too-long' }],
      [{ family: 4, source: '172.16.0.0/16', oif: 'eth0"; flush ruleset' }],
      [{ family: 5, source: '172.16.0.0/16', oif: 'eth0' }],
      [null],
      'not a list',
    ];
    for (const rules of bad) {
      await expect(fw.setMasquerade(rules as MasqueradeRule[])).rejects.toBeInstanceOf(InvalidInputError);
    }
    expect(await ruleset(ns)).toBe(before);
    await expect(openFirewall({ netns: '../etc' })).rejects.toBeInstanceOf(InvalidInputError);
    const missing = await openFirewall({ netns: 'no-such-namespace-here' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NetlinkError);
    expect((missing as NetlinkError).code).toBe('ENOENT');
  });
});
