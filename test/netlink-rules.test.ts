// listRules, addRule, deleteRule, changeRules and the rules command against iproute2: the same rules through the
// API in one namespace and through `ip rule` in its twin give identical `ip rule show` (both families); listRules
// equals `ip -d -j rule show` field by field; deletes match as `ip rule del` matches; a batch's changes are each
// made or refused as the same change alone would be, and a batch of thousands leaves the event loop free; the CLI
// prints what ip prints.
import { beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidInputError,
  NetlinkError,
  type Rule,
  type RuleChange,
  type RuleSpec,
  type Table,
} from '../src/index.js';
import type { RouteSocket } from '../src/netlink/index.js';
import { cli } from './support/cli.js';
import { errnoOfIpMessage } from './support/errors.js';
import { turnsDuring } from './support/event-loop.js';
import { ip, ipJson } from './support/ip.js';
import { createTwinClients } from './support/tun-client.js';

interface Case {
  spec: RuleSpec;
  /** The same rule in iproute2's words (after `ip -4|-6 rule add`). */
  ipWords: string;
}

const v4: Case[] = [
  {
    spec: { priority: 5200, dst: '198.51.100.10/32', table: 'main', protocol: 157 },
    ipWords: 'pref 5200 to 198.51.100.10/32 table main proto 157',
  },
  {
    spec: { priority: 5201, dst: '198.51.100.10/32', action: 'unreachable' },
    ipWords: 'pref 5201 to 198.51.100.10/32 unreachable',
  },
  {
    spec: { priority: 5202, table: 'main', suppressPrefixLength: 0 },
    ipWords: 'pref 5202 table main suppress_prefixlength 0',
  },
  {
    spec: { priority: 5203, src: '192.0.2.0/24', action: 'blackhole' },
    ipWords: 'pref 5203 from 192.0.2.0/24 blackhole',
  },
  {
    spec: { priority: 5204, table: 53, fwmark: 0x10, fwmask: 0xff, iif: 'lo', invert: false },
    ipWords: 'pref 5204 table 53 fwmark 0x10/0xff iif lo',
  },
  { spec: { priority: 5205, fwmark: 7, action: 'prohibit', invert: true }, ipWords: 'pref 5205 not fwmark 7 prohibit' },
  {
    spec: { priority: 5206, table: 55, src: '10.0.0.0/8', ipProto: 'udp', sport: [1, 1024], dport: [655, 655] },
    ipWords: 'pref 5206 table 55 from 10.0.0.0/8 ipproto udp sport 1-1024 dport 655',
  },
  {
    spec: { priority: 5207, table: 56, uidRange: [1000, 1999], oif: 'eth0' },
    ipWords: 'pref 5207 table 56 uidrange 1000-1999 oif eth0',
  },
  { spec: { priority: 5208, goto: 5210, src: '10.1.0.0/16' }, ipWords: 'pref 5208 from 10.1.0.0/16 goto 5210' },
  { spec: { priority: 5209, action: 'nop', protocol: 'static' }, ipWords: 'pref 5209 nop proto static' },
  {
    spec: { priority: 5210, table: 1000, ipProto: 6, dport: 443 },
    ipWords: 'pref 5210 table 1000 ipproto tcp dport 443',
  },
  { spec: { priority: 5211, table: 'default', iif: 'nosuchdev0' }, ipWords: 'pref 5211 table default iif nosuchdev0' },
  { spec: { dst: '203.0.113.0/24', table: 57 }, ipWords: 'to 203.0.113.0/24 table 57' },
];

const v6: Case[] = [
  {
    spec: { priority: 6200, dst: '2001:db8::10/128', table: 'main', protocol: 157 },
    ipWords: 'pref 6200 to 2001:db8::10/128 table main proto 157',
  },
  {
    spec: { priority: 6201, dst: '2001:db8::10/128', action: 'unreachable' },
    ipWords: 'pref 6201 to 2001:db8::10/128 unreachable',
  },
  {
    spec: { family: 6, priority: 6202, table: 'main', suppressPrefixLength: 0 },
    ipWords: 'pref 6202 table main suppress_prefixlength 0',
  },
  {
    spec: { priority: 6206, table: 65, src: 'fd00::/8', ipProto: 'ipv6-icmp', fwmark: 0, fwmask: 1 },
    ipWords: 'pref 6206 table 65 from fd00::/8 ipproto ipv6-icmp fwmark 0/1',
  },
  {
    spec: { family: 6, priority: 6207, table: 66, uidRange: [0, 0], oif: 'eth0', sport: 53 },
    ipWords: 'pref 6207 table 66 uidrange 0-0 oif eth0 sport 53',
  },
];

let twins: [string, string];
let nl: RouteSocket;

beforeEach(async () => {
  ({ twins, nl } = await createTwinClients());
});

async function ruleText(ns: string): Promise<string> {
  return (await ip(ns, 'rule', 'show')) + (await ip(ns, '-6', 'rule', 'show'));
}

async function ipRule(ns: string, family: 4 | 6, op: 'add' | 'del', words: string): Promise<Error | undefined> {
  return ip(ns, `-${family}`, 'rule', op, ...words.split(' ')).then(
    () => undefined,
    (e: Error) => e,
  );
}

/** The same changes through `ip rule`, one by one, in order; the first that ip refuses fails the call. */
async function ipChanges(ns: string, changes: [4 | 6, 'add' | 'del', string][]): Promise<void> {
  for (const [family, op, words] of changes) {
    const failed = await ipRule(ns, family, op, words);
    if (failed) throw failed;
  }
}

async function addBoth(cases: Case[], family: 4 | 6): Promise<void> {
  for (const c of cases) {
    await nl.addRule(c.spec);
    const failed = await ipRule(twins[1], family, 'add', c.ipWords);
    if (failed) throw failed;
  }
}

/** ip's JSON of one rule (with -d: the protocol always), as an independent reading of what a Rule says. */
type IpRule = Record<string, string | number | null>;

function fromIp(j: IpRule, family: 4 | 6): Rule {
  const host = family === 4 ? 32 : 128;
  const num = (v: unknown) => (typeof v === 'number' ? v : Number(v));
  const table = (t: string): Table => (t === 'main' || t === 'local' || t === 'default' ? t : Number(t));
  const range = (name: string): [number, number] | undefined =>
    j[name] !== undefined
      ? [num(j[name]), num(j[name])]
      : j[`${name}_start`] !== undefined
        ? [num(j[`${name}_start`]), num(j[`${name}_end`])]
        : undefined;
  const rule: Rule = {
    family,
    priority: num(j.priority),
    action: 'goto' in j ? 'goto' : 'nop' in j ? 'nop' : ((j.action as Rule['action']) ?? 'lookup'),
    protocol: j.protocol === '157' ? 'redirect-gateway' : String(j.protocol),
  };
  const optional: Partial<Rule> = {
    table: j.table === undefined ? undefined : table(String(j.table)),
    goto: j.goto === undefined ? undefined : num(j.goto),
    src: j.src === 'all' ? undefined : `${j.src}/${j.srclen ?? host}`,
    dst: j.dst === undefined ? undefined : `${j.dst}/${j.dstlen ?? host}`,
    iif: j.iif === undefined ? undefined : String(j.iif),
    oif: j.oif === undefined ? undefined : String(j.oif),
    fwmark: j.fwmark === undefined ? undefined : num(j.fwmark),
    fwmask: j.fwmask === undefined ? undefined : num(j.fwmask),
    suppressPrefixLength: j.suppress_prefixlen === undefined ? undefined : num(j.suppress_prefixlen),
    uidRange: j.uid_start === undefined ? undefined : [num(j.uid_start), num(j.uid_end)],
    ipProto: j.ipproto === undefined ? undefined : String(j.ipproto),
    sport: range('sport'),
    dport: range('dport'),
    invert: 'not' in j ? true : undefined,
    iifDetached: 'iif_detached' in j ? true : undefined,
    oifDetached: 'oif_detached' in j ? true : undefined,
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) Object.assign(rule, { [k]: v });
  return rule;
}

async function ipRules(ns: string): Promise<Rule[]> {
  const four = await ipJson<IpRule[]>(ns, '-d', 'rule', 'show');
  const six = await ipJson<IpRule[]>(ns, '-d', '-6', 'rule', 'show');
  return [...four.map((j) => fromIp(j, 4)), ...six.map((j) => fromIp(j, 6))];
}

/** A batch's error and the same change's alone, comparable field by field (the stack aside). */
function errorFields(e: NetlinkError): object {
  return { ...e, message: e.message, stack: undefined };
}

describe('addRule', () => {
  it('makes the same IPv4 and IPv6 rules as ip rule add (ip rule show of the twins is identical)', async () => {
    expect(await ruleText(twins[0])).toBe(await ruleText(twins[1]));
    await addBoth(v4, 4);
    await addBoth(v6, 6);
    const text = await ruleText(twins[0]);
    expect(text).toBe(await ruleText(twins[1]));
    // Nothing was lost on the way: every rule is there, and iproute2's defaults held (no protocol unless given).
    expect(text.split('\n').filter((l) => /^5[0-9]{3}:|^6[0-9]{3}:/.test(l))).toHaveLength(v4.length + v6.length);
    expect(text).toContain('5201:\tfrom all to 198.51.100.10 unreachable\n');
    expect(text).toContain('5211:\tfrom all iif nosuchdev0 [detached] lookup default\n');
  });

  it('refuses a rule that exists (EEXIST), as ip does', async () => {
    await addBoth(v4.slice(0, 2), 4);
    const ours = await nl.addRule(v4[1].spec).catch((e: unknown) => e);
    const theirs = await ipRule(twins[1], 4, 'add', v4[1].ipWords);
    expect(ours).toBeInstanceOf(NetlinkError);
    expect((ours as NetlinkError).code).toBe('EEXIST');
    expect((ours as NetlinkError).operation).toBe('addRule');
    expect((ours as NetlinkError).errno).toBe(errnoOfIpMessage(theirs!.message));
  });

  const invalid: [string, RuleSpec][] = [
    ['an unknown field', { priority: 1, table: 5, pref: 3 } as RuleSpec],
    ['a bad prefix', { dst: '198.51.100.10/33' }],
    ['host bits', { src: '10.0.0.1/8' }],
    ['mixed families', { src: '10.0.0.0/8', dst: '2001:db8::/32' }],
    ['a family that disagrees', { family: 6, dst: '198.51.100.0/24' }],
    ['an unknown action', { action: 'drop' as Rule['action'] }],
    ['a table for an unreachable rule', { action: 'unreachable', table: 5 }],
    ['a negative priority', { priority: -1 }],
    ['a port above 65535', { dport: 70000 }],
    ['a port range backwards', { sport: [1024, 1] }],
    ['an unknown IP protocol', { ipProto: 'tcpp' }],
    ['a bad interface name', { iif: 'a/b' }],
    ['fwmask alone', { fwmask: 0xff }],
    ['suppressPrefixLength beyond the family', { suppressPrefixLength: 33 }],
    ['an unknown route protocol', { protocol: 'nosuch' }],
    ['table 0', { table: 0 }],
  ];
  it('rejects a goto rule without its target (an add needs one; a delete may match any goto)', async () => {
    await expect(nl.addRule({ action: 'goto' })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it.each(invalid)('rejects %s before anything is sent', async (_, spec) => {
    const before = await ruleText(twins[0]);
    await expect(nl.addRule(spec)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(nl.deleteRule(spec)).rejects.toBeInstanceOf(InvalidInputError);
    expect(await ruleText(twins[0])).toBe(before);
  });
});

describe('listRules', () => {
  it('equals ip -d -j rule show field by field, both families and each alone', async () => {
    await addBoth(v4, 4);
    await addBoth(v6, 6);
    const fromIpAll = await ipRules(twins[0]);
    expect(await nl.listRules()).toEqual(fromIpAll);
    expect(await nl.listRules({ family: 4 })).toEqual(fromIpAll.filter((r) => r.family === 4));
    expect(await nl.listRules({ family: 6 })).toEqual(fromIpAll.filter((r) => r.family === 6));
    // The kernel's own rules are there as ip shows them.
    expect((await nl.listRules({ family: 4 }))[0]).toEqual({
      family: 4,
      priority: 0,
      action: 'lookup',
      table: 'local',
      protocol: 'kernel',
    });
  });

  it('rejects a bad family', async () => {
    await expect(nl.listRules({ family: 5 as 4 })).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('deleteRule', () => {
  // Each: our delete in twin 0, ip's in twin 1, from the same rules; both outcomes and the rules after must agree.
  const deletes: [string, RuleSpec, string, 4 | 6][] = [
    ['by priority alone', { priority: 5201 }, 'pref 5201', 4],
    [
      'by priority, action and destination',
      { priority: 5201, action: 'unreachable', dst: '198.51.100.10/32' },
      'pref 5201 to 198.51.100.10/32 unreachable',
      4,
    ],
    ['by destination alone (the first that matches)', { dst: '198.51.100.10/32' }, 'to 198.51.100.10/32', 4],
    ['by table', { table: 55 }, 'table 55', 4],
    ['by fwmark and mask', { fwmark: 0x10, fwmask: 0xff }, 'fwmark 0x10/0xff', 4],
    ['by uid range and oif', { uidRange: [1000, 1999], oif: 'eth0' }, 'uidrange 1000-1999 oif eth0', 4],
    ['by ports and IP protocol', { ipProto: 'udp', sport: [1, 1024] }, 'ipproto udp sport 1-1024', 4],
    ['by protocol', { protocol: 157 }, 'proto 157', 4],
    ['by goto', { goto: 5210 }, 'goto 5210', 4],
    ['an inverted rule', { invert: true, fwmark: 7 }, 'not fwmark 7', 4],
    ['with a destination that no rule has (ENOENT)', { dst: '198.51.100.11/32' }, 'to 198.51.100.11/32', 4],
    ['with a priority that no rule has (ENOENT)', { priority: 4999 }, 'pref 4999', 4],
    ['an action that the rule does not have (ENOENT)', { priority: 5201, action: 'prohibit' }, 'pref 5201 prohibit', 4],
    ['IPv6 by priority', { family: 6, priority: 6201 }, 'pref 6201', 6],
    ['IPv6 by source', { src: 'fd00::/8' }, 'from fd00::/8', 6],
    ['IPv6 missing (ENOENT)', { dst: '2001:db8::11/128' }, 'to 2001:db8::11/128', 6],
  ];
  it.each(deletes)('matches as ip rule del does: %s', async (_, spec, words, family) => {
    await addBoth(v4, 4);
    await addBoth(v6, 6);
    const ours = await nl.deleteRule(spec).then(
      () => undefined,
      (e: unknown) => e,
    );
    const theirs = await ipRule(twins[1], family, 'del', words);
    if (theirs) {
      expect(ours).toBeInstanceOf(NetlinkError);
      expect((ours as NetlinkError).errno).toBe(errnoOfIpMessage(theirs.message));
      expect((ours as NetlinkError).code).toBe('ENOENT');
      expect((ours as NetlinkError).operation).toBe('deleteRule');
    } else {
      expect(ours).toBeUndefined();
    }
    expect(_.includes('ENOENT')).toBe(theirs !== undefined);
    expect(await ruleText(twins[0])).toBe(await ruleText(twins[1]));
  });
});

describe('changeRules', () => {
  /** The priorities of ip's JSON listing, both families: which rules are there, by an independent reading. */
  async function priorities(ns: string): Promise<number[]> {
    return (await ipRules(ns)).map((r) => r.priority);
  }

  it('makes a batch of adds and deletes, both families, as ip makes them one by one', async () => {
    await addBoth(v4.slice(0, 4), 4);
    const changes: RuleChange[] = [
      { op: 'delete', rule: { priority: 5201 } },
      { op: 'add', rule: v4[4].spec },
      { op: 'add', rule: v6[0].spec },
      { op: 'delete', rule: v4[3].spec },
      { op: 'add', rule: v4[5].spec },
      { op: 'add', rule: v6[1].spec },
    ];
    const results = await nl.changeRules(changes);
    expect(results).toEqual(changes.map((change) => ({ change })));
    await ipChanges(twins[1], [
      [4, 'del', 'pref 5201'],
      [4, 'add', v4[4].ipWords],
      [6, 'add', v6[0].ipWords],
      [4, 'del', v4[3].ipWords],
      [4, 'add', v4[5].ipWords],
      [6, 'add', v6[1].ipWords],
    ]);
    expect(await ipRules(twins[0])).toEqual(await ipRules(twins[1]));
    const made = await priorities(twins[0]);
    expect(made).toEqual(expect.arrayContaining([5200, 5202, 5204, 5205, 6200, 6201]));
    expect(made.filter((p) => p === 5201 || p === 5203)).toEqual([]);
  });

  it('attempts every change: a refused one in the middle has its error, the others are made', async () => {
    await addBoth(v4.slice(0, 2), 4);
    const changes: RuleChange[] = [
      { op: 'add', rule: v4[2].spec },
      { op: 'add', rule: v4[1].spec }, // there already: EEXIST
      { op: 'delete', rule: { priority: 4999 } }, // no such rule: ENOENT
      { op: 'add', rule: v6[0].spec },
    ];
    const results = await nl.changeRules(changes);
    expect(results.map((r) => r.change)).toEqual(changes);
    expect([results[0].error, results[3].error]).toEqual([undefined, undefined]);
    // Each refusal is the error of the same change made alone, field by field.
    const alone = [
      await nl.addRule(v4[1].spec).catch((e: unknown) => e),
      await nl.deleteRule({ priority: 4999 }).catch((e: unknown) => e),
    ] as NetlinkError[];
    for (const [i, code, operation] of [
      [1, 'EEXIST', 'addRule'],
      [2, 'ENOENT', 'deleteRule'],
    ] as const) {
      const error = results[i].error!;
      const expected = alone[i - 1];
      expect(error).toBeInstanceOf(NetlinkError);
      expect(expected).toBeInstanceOf(NetlinkError);
      expect({ code: error.code, operation: error.operation }).toEqual({ code, operation });
      expect(errorFields(error)).toEqual(errorFields(expected));
    }
    expect(await priorities(twins[0])).toEqual(expect.arrayContaining([5200, 5201, 5202, 6200]));
    await ipChanges(twins[1], [
      [4, 'add', v4[2].ipWords],
      [6, 'add', v6[0].ipWords],
    ]);
    expect(await ipRules(twins[0])).toEqual(await ipRules(twins[1]));
  });

  it('refuses the whole batch before anything is sent when one change is invalid', async () => {
    const before = await ruleText(twins[0]);
    const bad: [string, RuleChange[]][] = [
      [
        'an invalid rule last',
        [
          { op: 'add', rule: v4[0].spec },
          { op: 'add', rule: { dst: '198.51.100.10/33' } },
        ],
      ],
      [
        'an unknown op',
        [
          { op: 'add', rule: v4[0].spec },
          { op: 'replace' as 'add', rule: v4[1].spec },
        ],
      ],
      ['a change that is not an object', [{ op: 'add', rule: v4[0].spec }, null as unknown as RuleChange]],
    ];
    for (const [what, changes] of bad) {
      await expect(nl.changeRules(changes), what).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(nl.changeRules({} as RuleChange[])).rejects.toBeInstanceOf(InvalidInputError);
    expect(await ruleText(twins[0])).toBe(before);
    expect(await nl.changeRules([])).toEqual([]);
  });
});

describe('changeRules of thousands of rules', () => {
  const COUNT = 4000;
  /** The i-th rule of a large batch: a priority and a destination of its own. */
  const manyRule = (i: number): RuleSpec => ({
    priority: 10000 + i,
    dst: `10.${i >> 8}.${i & 255}.0/24`,
    table: 100,
    protocol: 157,
  });
  /** The rule as listed. */
  const listed = (i: number): Rule => ({
    family: 4,
    priority: 10000 + i,
    action: 'lookup',
    protocol: 'redirect-gateway',
    table: 100,
    dst: `10.${i >> 8}.${i & 255}.0/24`,
  });
  const indexes = Array.from({ length: COUNT }, (_, i) => i);

  /** Our rules, as ip -j shows them. */
  async function ours(ns: string): Promise<Rule[]> {
    return (await ipRules(ns)).filter((r) => r.protocol === 'redirect-gateway');
  }

  it('adds and deletes them while the event loop turns, each change made as ip then shows', async () => {
    const adds = indexes.map((i): RuleChange => ({ op: 'add', rule: manyRule(i) }));
    const added = await turnsDuring(nl.changeRules(adds));
    expect(added.turns).toBeGreaterThan(0);
    expect(added.result).toEqual(adds.map((change) => ({ change })));
    expect(await ours(twins[0])).toEqual(indexes.map(listed));

    const deletes = adds.map(({ rule }): RuleChange => ({ op: 'delete', rule }));
    const deleted = await turnsDuring(nl.changeRules(deletes));
    expect(deleted.turns).toBeGreaterThan(0);
    expect(deleted.result).toEqual(deletes.map((change) => ({ change })));
    expect(await ours(twins[0])).toEqual([]);
  });

  it('attempts every change: refusals deep in the batch have their errors, the others are made', async () => {
    const duplicate = 2500;
    const refused = 2600;
    await nl.addRule(manyRule(duplicate));
    const backward: RuleSpec = { priority: 12600, goto: 12000 }; // EINVAL: the kernel takes no backward goto
    const adds = indexes.map((i): RuleChange => ({ op: 'add', rule: i === refused ? backward : manyRule(i) }));
    const added = await turnsDuring(nl.changeRules(adds));
    expect(added.turns).toBeGreaterThan(0);
    const alone = {
      [duplicate]: await nl.addRule(manyRule(duplicate)).catch((e: unknown) => e),
      [refused]: await nl.addRule(backward).catch((e: unknown) => e),
    } as Record<number, NetlinkError>;
    expect([alone[duplicate].code, alone[refused].code]).toEqual(['EEXIST', 'EINVAL']);
    const failedAdds = added.result.flatMap((r, i) => (r.error ? [i] : []));
    expect(failedAdds).toEqual([duplicate, refused]);
    expect(added.result.map((r) => r.change)).toEqual(adds);
    for (const i of failedAdds) expect(errorFields(added.result[i].error!)).toEqual(errorFields(alone[i]));
    expect(await ours(twins[0])).toEqual(indexes.filter((i) => i !== refused).map(listed));

    // Deleting them all: the one never made is ENOENT, as alone.
    const deletes = indexes.map((i): RuleChange => ({ op: 'delete', rule: manyRule(i) }));
    const deleted = await turnsDuring(nl.changeRules(deletes));
    expect(deleted.turns).toBeGreaterThan(0);
    expect(deleted.result.flatMap((r, i) => (r.error ? [i] : []))).toEqual([refused]);
    const missing = await nl.deleteRule(manyRule(refused)).catch((e: unknown) => e);
    expect((missing as NetlinkError).code).toBe('ENOENT');
    expect(errorFields(deleted.result[refused].error!)).toEqual(errorFields(missing as NetlinkError));
    expect(await ours(twins[0])).toEqual([]);
  });
});

describe('redirect-gateway rules', () => {
  it('prints what ip rule show prints, byte for byte, and JSON as ip -j names it', async () => {
    await addBoth(v4, 4);
    await addBoth(v6, 6);
    const ns = twins[0];
    const both = await cli(['rules', '--netns', ns]);
    expect(both.stderr).toBe('');
    expect(both.code).toBe(0);
    expect(both.stdout).toBe(await ruleText(ns));
    expect((await cli(['rules', '-4', '--netns', ns])).stdout).toBe(await ip(ns, 'rule', 'show'));
    expect((await cli(['rules', '-6', '--netns', ns])).stdout).toBe(await ip(ns, '-6', 'rule', 'show'));
    for (const family of ['-4', '-6']) {
      const json = await cli(['rules', family, '--json', '--netns', ns]);
      expect(JSON.parse(json.stdout)).toEqual(await ipJson(ns, family, 'rule', 'show'));
    }
  });

  it('refuses -4 with -6 (exit 2)', async () => {
    const out = await cli(['rules', '-4', '-6']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^redirect-gateway: rules: -4 and -6 exclude each other/);
  });
});
