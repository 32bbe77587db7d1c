// `strategy: 'rules'` against the kernel, judged by iproute2: `ip -j rule show`, `ip -j route show table N`,
// `ip route get`. Main is never touched; the server follows main's default route with no process running.
import { beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { netlink, NetlinkError, redirect } from '../src/index.js';
import { applyPolicy } from '../src/redirect/policy-apply.js';
import type { PolicyStep } from '../src/redirect/rules-plan.js';
import { defer } from './support/cleanup.js';
import { CLI, cli } from './support/cli.js';
import { findProgram, runStatus } from './support/exec.js';
import { ip } from './support/ip.js';
import { exceptionRuleLines, ourRuleLines, policyText, TINC_TRAFFIC } from './support/policy.js';
import { createSeedWithoutState, pathTo, routeText, SERVER, VPN_GATEWAY, type Seed } from './support/seed.js';
import { STATE_DIR } from './support/state.js';

const TABLE = '157';
const OTHER = '198.51.100.77'; // beside the server, but no exception of ours: through the VPN

let seed: Seed;
let ns: string;
let before: string;
let key: string;

beforeEach(async () => {
  ({ seed, ns, key } = await createSeedWithoutState('rules', { held: true }));
  before = await everything(ns);
});

const everything = policyText;
const ourRules = ourRuleLines;

async function ourTable(ns: string, family: '-4' | '-6' = '-4'): Promise<string[]> {
  const lines = (await ip(ns, family, 'route', 'show', 'table', TABLE)).split('\n').filter(Boolean);
  return lines.map((l) => l.trim());
}

const RULES_V4 = [
  ...exceptionRuleLines(30157, SERVER),
  '30159: lookup main suppress_prefixlength 0',
  '30160: lookup 157',
];

/** What `ip route get` says, or the error it gives. */
async function getOrError(ns: string, address: string, ...selector: string[]): Promise<string> {
  return pathTo(ns, address, ...selector).catch((e: Error) =>
    /No route to host|unreachable/i.test(e.message) ? 'unreachable' : e.message,
  );
}

describe('strategy rules', () => {
  it('router style: rules and our table, main untouched; a second up changes nothing; down is exact', async () => {
    const mainBefore = await routeText(ns);
    const result = await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules' });
    expect(result.rules?.map((c) => c.op)).toEqual(Array(6).fill('add'));
    expect(await ourRules(ns)).toEqual(RULES_V4);
    expect(await ourTable(ns)).toEqual(['default dev vpn proto 157 scope link']);
    expect(await routeText(ns)).toBe(mainBefore);
    expect(await pathTo(ns, SERVER, ...TINC_TRAFFIC)).toBe('via 192.168.1.1 dev eth0');
    expect(await pathTo(ns, OTHER)).toBe('dev vpn');
    expect(await pathTo(ns, '10.1.2.3')).toBe('dev vpn');
    expect(await pathTo(ns, '192.168.1.77')).toBe('dev eth0'); // the LAN
    expect(await pathTo(ns, VPN_GATEWAY)).toBe('dev vpn'); // the VPN's subnet, by main's connected route

    const again = await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules' });
    expect(again.changes).toEqual([]);
    expect(again.rules ?? []).toEqual([]);

    const state = JSON.parse(await readFile(`${STATE_DIR}/${key}_vpn.json`, 'utf8'));
    expect(state).toMatchObject({ strategy: 'rules', table: 157, priority: 30157, exceptions: [`${SERVER}/32`] });
    const status = await redirect.status(seed.vpn, { netns: ns });
    expect(status).toMatchObject({ active: true, problems: [], strategy: 'rules', table: 157, priority: 30157 });
    expect(status.rules).toHaveLength(6);

    const down = await redirect.down(seed.vpn, { netns: ns });
    expect(down.rules).toHaveLength(6);
    expect(down.changes).toHaveLength(1);
    expect(await everything(ns)).toBe(before);
  });

  it("roaming: the server follows main's default route at once, with no process running; with no uplink it is refused", async () => {
    await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules' });
    await ip(ns, 'route', 'replace', 'default', 'via', '192.168.1.254', 'dev', 'eth0');
    expect(await pathTo(ns, SERVER, ...TINC_TRAFFIC)).toBe('via 192.168.1.254 dev eth0');
    expect(await pathTo(ns, SERVER, 'ipproto', 'tcp', 'dport', '655')).toBe('via 192.168.1.254 dev eth0');
    // Only tinc's: the server's address on another port (or protocol) goes through the tunnel (ServerIP).
    expect(await pathTo(ns, SERVER, 'ipproto', 'udp', 'dport', '53')).toBe('dev vpn');
    expect(await pathTo(ns, SERVER)).toBe('dev vpn');
    expect(await pathTo(ns, OTHER)).toBe('dev vpn');
    // The uplink gone: tinc's packets fail at once, never into the tunnel.
    await ip(ns, 'route', 'del', 'default');
    expect(await getOrError(ns, SERVER, ...TINC_TRAFFIC)).toBe('unreachable');
    expect(await pathTo(ns, OTHER)).toBe('dev vpn');
    await ip(ns, 'route', 'add', 'default', 'via', '192.168.1.1', 'dev', 'eth0');
    expect(await pathTo(ns, SERVER, ...TINC_TRAFFIC)).toBe('via 192.168.1.1 dev eth0');
    // Nothing of ours had to change for any of it.
    const again = await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules' });
    expect([...again.changes, ...(again.rules ?? [])]).toEqual([]);
    await redirect.down(seed.vpn, { netns: ns });
    expect(await everything(ns)).toBe(before);
  });

  it('switch style: the default route of our table goes via the gateway; off-link, a host route to it comes first', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules', gateway: VPN_GATEWAY });
    expect(await ourTable(ns)).toEqual([`default via ${VPN_GATEWAY} dev vpn proto 157`]);
    expect(await pathTo(ns, OTHER)).toBe(`via ${VPN_GATEWAY} dev vpn`);
    await redirect.down(seed.vpn, { netns: ns });
    expect(await everything(ns)).toBe(before);

    await ip(ns, 'address', 'flush', 'dev', seed.vpn);
    const flushed = await everything(ns);
    await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules', gateway: VPN_GATEWAY });
    expect(await ourTable(ns)).toEqual([
      `default via ${VPN_GATEWAY} dev vpn proto 157`,
      `${VPN_GATEWAY} dev vpn proto 157 scope link`,
    ]);
    expect(await pathTo(ns, OTHER)).toBe(`via ${VPN_GATEWAY} dev vpn`);
    await redirect.down(seed.vpn, { netns: ns });
    expect(await everything(ns)).toBe(flushed);
  });

  it('IPv4 and IPv6 (router style): rules in both families, a table of ours for each', async () => {
    const server6 = '2001:db8:5::10';
    await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules', family: 'both' });
    expect(await ourRules(ns, '-6')).toEqual(['30159: lookup main suppress_prefixlength 0', '30160: lookup 157']);
    expect(await ourTable(ns, '-6')).toEqual(['default dev vpn proto 157 metric 1024 pref medium']);
    expect(await pathTo(ns, server6)).toBe('dev vpn');
    expect(await pathTo(ns, 'fd00:1::77')).toBe('dev eth0');
    await redirect.addPeer(seed.vpn, 'peer6', server6, { netns: ns });
    expect(await ourRules(ns, '-6')).toEqual([
      ...exceptionRuleLines(30157, server6),
      '30159: lookup main suppress_prefixlength 0',
      '30160: lookup 157',
    ]);
    expect(await pathTo(ns, server6, ...TINC_TRAFFIC)).toBe('via fd00:1::1 dev eth0');
    await redirect.down(seed.vpn, { netns: ns });
    await redirect.removePeer(seed.vpn, 'peer6', { netns: ns });
    expect(await everything(ns)).toBe(before);
  });

  it('IPv6 switch style: a host route to the off-link gateway in our table, then the default route via it', async () => {
    const gateway = 'fd00:8::1';
    await redirect.up(seed.vpn, '2001:db8:5::10', { netns: ns, strategy: 'rules', family: 6, gateway });
    expect(await ourTable(ns, '-6')).toEqual([
      `${gateway} dev vpn proto 157 metric 1024 pref medium`,
      `default via ${gateway} dev vpn proto 157 metric 1024 pref medium`,
    ]);
    expect(await pathTo(ns, '2001:db8::1')).toBe(`via ${gateway} dev vpn`);
    expect(await pathTo(ns, '2001:db8:5::10', ...TINC_TRAFFIC)).toBe('via fd00:1::1 dev eth0');
    const again = await redirect.up(seed.vpn, '2001:db8:5::10', { netns: ns, strategy: 'rules', family: 6, gateway });
    expect([...again.changes, ...(again.rules ?? [])]).toEqual([]);
    await redirect.down(seed.vpn, { netns: ns });
    expect(await everything(ns)).toBe(before);
  });

  it('mesh peers get rules of their own, and lose them with removePeer', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules' });
    for (const last of [11, 12, 13, 14, 15])
      await redirect.addPeer(seed.vpn, `n${last}`, `203.0.113.${last}`, { netns: ns });
    for (const last of [11, 12, 13, 14, 15])
      expect(await pathTo(ns, `203.0.113.${last}`, ...TINC_TRAFFIC)).toBe('via 192.168.1.1 dev eth0');
    expect(await pathTo(ns, '203.0.113.16')).toBe('dev vpn');
    expect((await ourRules(ns)).filter((r) => r.startsWith('30157:'))).toHaveLength(12);
    await redirect.removePeer(seed.vpn, 'n13', { netns: ns });
    expect(await pathTo(ns, '203.0.113.13')).toBe('dev vpn');
    expect((await ourRules(ns)).filter((r) => r.includes('203.0.113.13'))).toEqual([]);
    for (const node of ['n11', 'n12', 'n14', 'n15']) await redirect.removePeer(seed.vpn, node, { netns: ns });
    expect(await ourRules(ns)).toEqual(RULES_V4);
    await redirect.down(seed.vpn, { netns: ns });
    expect(await everything(ns)).toBe(before);
  });

  it('kill switch: with the VPN interface gone nothing goes out in clear, the server still goes via main', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules', killSwitch: true, family: 'both' });
    expect(await ourTable(ns)).toEqual([
      'default dev vpn proto 157 scope link',
      'unreachable default proto 157 metric 4294967295',
    ]);
    await ip(ns, 'link', 'del', seed.vpn);
    expect(await getOrError(ns, OTHER)).toBe('unreachable');
    expect(await getOrError(ns, '2001:db8::1')).toBe('unreachable');
    expect(await pathTo(ns, SERVER, ...TINC_TRAFFIC)).toBe('via 192.168.1.1 dev eth0');
    expect(await getOrError(ns, SERVER)).toBe('unreachable'); // the rest of it is refused with the rest
    expect(await pathTo(ns, '192.168.1.77')).toBe('dev eth0');
    // The kill switch holds, as under halves: not active, and the interface gone is no problem.
    const status = await redirect.status(seed.vpn, { netns: ns });
    expect([status.active, status.blocked, status.problems]).toEqual([false, [4, 6], []]);
    // A peer coming up meanwhile gets its rules; nothing is made through the missing interface.
    await redirect.addPeer(seed.vpn, 'n11', '203.0.113.11', { netns: ns });
    expect(await pathTo(ns, '203.0.113.11', ...TINC_TRAFFIC)).toBe('via 192.168.1.1 dev eth0');
    await redirect.removePeer(seed.vpn, 'n11', { netns: ns });
    await redirect.down(seed.vpn, { netns: ns });
    expect(await pathTo(ns, OTHER)).toBe('via 192.168.1.1 dev eth0');
    expect(await ourRules(ns)).toEqual([]);
    expect(await ourRules(ns, '-6')).toEqual([]);
    expect(await ip(ns, '-4', 'route', 'show', 'table', 'all', 'proto', '157')).toBe('');
    expect(await ip(ns, '-6', 'route', 'show', 'table', 'all', 'proto', '157')).toBe('');
  });

  it('kill switch with an IPv4-only redirect: IPv6 is refused too, the tunnel up and after it is gone', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules', killSwitch: true });
    expect(await ourTable(ns, '-6')).toEqual(['unreachable default dev lo proto 157 metric 4294967295 pref medium']);
    expect(await getOrError(ns, '2001:db8::1')).toBe('unreachable');
    expect(await pathTo(ns, 'fd00:1::5')).toBe('dev eth0'); // the IPv6 LAN still works
    await ip(ns, 'link', 'del', seed.vpn);
    expect(await getOrError(ns, '2001:db8::1')).toBe('unreachable');
    expect(await getOrError(ns, OTHER)).toBe('unreachable');
    await redirect.down(seed.vpn, { netns: ns });
    expect(await ourRules(ns, '-6')).toEqual([]);
    expect(await ip(ns, '-6', 'route', 'show', 'table', 'all', 'proto', '157')).toBe('');
  });

  it('block IPv6 with an IPv4-only redirect: IPv6 beyond the LAN is refused, the LAN keeps working', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules', blockIpv6: true });
    expect(await ourTable(ns, '-6')).toEqual(['unreachable default dev lo proto 157 metric 4294967295 pref medium']);
    expect(await getOrError(ns, '2001:db8::1')).toBe('unreachable');
    expect(await pathTo(ns, 'fd00:1::1')).toBe('dev eth0');
    expect(await pathTo(ns, OTHER)).toBe('dev vpn');
    const again = await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules', blockIpv6: true });
    expect([...again.changes, ...(again.rules ?? [])]).toEqual([]);
    await redirect.down(seed.vpn, { netns: ns });
    expect(await everything(ns)).toBe(before);
  });

  it('status: a rule deleted behind our back is a problem; the next up puts it back', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules' });
    await ip(ns, 'rule', 'del', 'priority', '30159');
    await ip(ns, 'rule', 'del', 'priority', '30157', 'to', SERVER, 'ipproto', 'udp', 'dport', '655');
    expect(await getOrError(ns, SERVER, ...TINC_TRAFFIC)).toBe('unreachable'); // tinc's UDP meets 30158
    const status = await redirect.status(seed.vpn, { netns: ns });
    expect(status.active).toBe(false);
    expect(status.problems).toEqual([
      `the rule priority 30157 to ${SERVER}/32 ipproto udp dport 655 lookup main is missing`,
      'the rule priority 30159 lookup main is missing',
      `the server ${SERVER} has no path outside the VPN: its packets are refused (ENETUNREACH), not looped`,
    ]);
    const fixed = await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules' });
    expect(fixed.rules).toEqual([
      { op: 'add', rule: expect.objectContaining({ priority: 30157, ipProto: 'udp' }) },
      { op: 'add', rule: expect.objectContaining({ priority: 30159 }) },
    ]);
    expect(await ourRules(ns)).toEqual(RULES_V4);
    await redirect.down(seed.vpn, { netns: ns });
    expect(await everything(ns)).toBe(before);
  });

  it('table and priority are configurable; switching strategies takes the other one away first', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules', table: 1000, priority: 2000 });
    expect(await ourRules(ns)).toEqual([
      ...exceptionRuleLines(2000, SERVER),
      '2002: lookup main suppress_prefixlength 0',
      '2003: lookup 1000',
    ]);
    expect(await ip(ns, 'route', 'show', 'table', '1000')).toContain('default dev vpn proto 157');
    await redirect.up(seed.vpn, SERVER, { netns: ns });
    // The halves now, with their rules refusing the server where main has nothing but the half-routes for it.
    expect(await ourRules(ns)).toEqual([
      `32764: to ${SERVER} lookup main suppress_prefixlength 1`,
      `32765: to ${SERVER} unreachable`,
    ]);
    expect(await pathTo(ns, OTHER)).toBe('dev vpn');
    await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules' });
    expect(await ourRules(ns)).toEqual(RULES_V4);
    expect(await ip(ns, 'route', 'show', 'proto', '157')).toBe('');
    await redirect.down(seed.vpn, { netns: ns });
    expect(await everything(ns)).toBe(before);
  });

  it('the CLI: up --strategy rules, hook up --strategy rules, down; bad values are usage errors', async () => {
    const up = await cli(['up', seed.vpn, SERVER, '--strategy', 'rules', '--netns', ns]);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain('added rule 30160: lookup 157 (IPv4)');
    expect(await ourRules(ns)).toEqual(RULES_V4);
    const status = await cli(['status', seed.vpn, '--netns', ns]);
    expect(status.stdout).toContain('strategy rules: table 157, priorities 30157-30160');
    expect(status.stdout).toContain('rule 30160:\tfrom all lookup 157 proto 157');
    const down = await cli(['down', seed.vpn, '--netns', ns]);
    expect(down.code).toBe(0);
    expect(down.stdout.split('\n')).toContain('deleted rule 30160: lookup 157 (IPv4)');
    expect(await everything(ns)).toBe(before);
    const env = { ...process.env, INTERFACE: seed.vpn, REMOTEADDRESS: SERVER, NODE: 'server' };
    expect((await cli(['hook', 'up', '--strategy', 'rules', '--priority', '100', '--netns', ns], { env })).code).toBe(
      0,
    );
    expect(await ourRules(ns)).toEqual([
      ...exceptionRuleLines(100, SERVER),
      '102: lookup main suppress_prefixlength 0',
      '103: lookup 157',
    ]);
    expect((await cli(['hook', 'down', '--netns', ns], { env })).code).toBe(0);
    expect(await everything(ns)).toBe(before);
    for (const bad of [
      ['--strategy', 'fwmark'],
      ['--strategy', 'rules', '--table', '254'],
      ['--table', '5'],
      ['--strategy', 'rules', '--priority', '30153'], // 30153-30156 would take the kill switch's 30152-30156
    ]) {
      expect((await cli(['up', seed.vpn, SERVER, ...bad, '--netns', ns])).code).toBe(2);
    }
  });

  it('twin: what the API makes is what the same `ip rule add` and `ip route add` make in a twin namespace', async () => {
    const twin = await createSeedWithoutState('rules-twin', { held: true });
    await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules', family: 'both', killSwitch: true });
    for (const line of [
      '-4 route add default dev vpn table 157 proto 157',
      '-4 route add unreachable default table 157 proto 157 metric 4294967295',
      '-6 route add default dev vpn table 157 proto 157',
      '-6 route add unreachable default table 157 proto 157 metric 4294967295',
      `-4 rule add priority 30157 to ${SERVER} ipproto tcp dport 655 lookup main proto 157`,
      `-4 rule add priority 30157 to ${SERVER} ipproto udp dport 655 lookup main proto 157`,
      `-4 rule add priority 30158 to ${SERVER} ipproto tcp dport 655 unreachable proto 157`,
      `-4 rule add priority 30158 to ${SERVER} ipproto udp dport 655 unreachable proto 157`,
      '-4 rule add priority 30159 lookup main suppress_prefixlength 0 proto 157',
      '-6 rule add priority 30159 lookup main suppress_prefixlength 0 proto 157',
      '-4 rule add priority 30160 lookup 157 proto 157',
      '-6 rule add priority 30160 lookup 157 proto 157',
      // The kill switch's, for sockets bound to the uplink.
      '-4 rule add priority 30155 oif eth0 lookup main suppress_prefixlength 0 proto 157',
      '-4 rule add priority 30156 oif eth0 unreachable proto 157',
      '-6 rule add priority 30155 oif eth0 lookup main suppress_prefixlength 0 proto 157',
      '-6 rule add priority 30156 oif eth0 unreachable proto 157',
    ]) {
      await ip(twin.ns, ...line.split(' '));
    }
    expect(await everything(ns)).toBe(await everything(twin.ns));
    await redirect.down(seed.vpn, { netns: ns });
    expect(await everything(ns)).toBe(before);
  });

  it('a failed change undoes what it made, rules and routes alike, in reverse order', async () => {
    const nl = await netlink.open({ netns: ns });
    defer(() => nl.close());
    const rule = { family: 4 as const, priority: 400, action: 'lookup' as const, table: 157, protocol: 157 };
    const route = { dst: '0.0.0.0/0', dev: 'vpn', table: 157, protocol: 157 };
    const steps: PolicyStep[] = [
      { kind: 'route', change: { op: 'add', route }, undo: { op: 'delete', route } },
      { kind: 'rule', change: { op: 'add', rule }, undo: { op: 'delete', rule } },
      // A rule that is not there: its deletion fails.
      { kind: 'rule', change: { op: 'delete', rule: { ...rule, priority: 401 } }, undo: { op: 'add', rule } },
    ];
    await expect(applyPolicy(nl, steps)).rejects.toThrow(/the 2 change\(s\) already made were undone/);
    expect(await everything(ns)).toBe(before);
  });

  it('a refused rule in the middle of a run: the rest of the run is made, then all of it undone', async () => {
    const nl = await netlink.open({ netns: ns });
    defer(() => nl.close());
    const rule = { family: 4 as const, priority: 400, action: 'lookup' as const, table: 157, protocol: 157 };
    const later = { ...rule, priority: 402 };
    const missing = { ...rule, priority: 401 };
    const route = { dst: '0.0.0.0/0', dev: 'vpn', table: 157, protocol: 157 };
    const steps: PolicyStep[] = [
      { kind: 'route', change: { op: 'add', route }, undo: { op: 'delete', route } },
      { kind: 'rule', change: { op: 'add', rule }, undo: { op: 'delete', rule } },
      { kind: 'rule', change: { op: 'delete', rule: missing }, undo: { op: 'add', rule: missing } },
      { kind: 'rule', change: { op: 'add', rule: later }, undo: { op: 'delete', rule: later } },
    ];
    const error = await applyPolicy(nl, steps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetlinkError);
    expect((error as NetlinkError).code).toBe('ENOENT');
    expect((error as NetlinkError).message).toBe(
      'deleteRule family 4 priority 401 action lookup table 157 protocol 157: no such file or directory' +
        '; the 3 change(s) already made were undone',
    );
    expect(await everything(ns)).toBe(before);
  });

  it('with its state lost, down still finds our rules and table at the default place', async () => {
    await redirect.up(seed.vpn, SERVER, { netns: ns, strategy: 'rules', family: 'both' });
    await rm(`${STATE_DIR}/${key}_vpn.json`);
    const down = await redirect.down(seed.vpn, { netns: ns });
    expect(down.rules).toHaveLength(8);
    expect(await everything(ns)).toBe(before);
  });

  it('install-hook --strategy rules writes it into hosts/NODE-up, and the scripts make and lift the rules', async () => {
    const confbase = await mkdtemp('/tmp/rg-rules-conf-');
    defer(() => rm(confbase, { recursive: true, force: true }));
    await mkdir(join(confbase, 'hosts'));
    await writeFile(join(confbase, 'tinc.conf'), 'Name = client\nConnectTo = server\n');
    await writeFile(join(confbase, 'hosts', 'server'), 'Subnet = 0.0.0.0/0\n');
    const where = ['--node', 'server', '--confbase', confbase];
    // --no-follow: the rules alone, as the scripts make and lift them (the follower is tested on its own).
    const installed = await cli(['install-hook', ...where, '--strategy', 'rules', '--table', '200', '--no-follow']);
    expect(installed.code, installed.stderr).toBe(0);
    const script = await readFile(join(confbase, 'hosts', 'server-up'), 'utf8');
    expect(script).toContain(`'${CLI}' 'hook' 'up' '--strategy' 'rules' '--table' '200'\n`);
    const env = { PATH: '/nonexistent', INTERFACE: seed.vpn, REMOTEADDRESS: SERVER, NODE: 'server' };
    const run = (name: string) =>
      runStatus(findProgram('ip')!, ['netns', 'exec', ns, '/bin/sh', '-c', join(confbase, 'hosts', name)], { env });
    expect((await run('server-up')).code).toBe(0);
    expect((await ourRules(ns)).at(-1)).toBe('30160: lookup 200');
    expect(await pathTo(ns, OTHER)).toBe('dev vpn');
    expect((await run('server-down')).code).toBe(0);
    expect(await everything(ns)).toBe(before);
    const bad = await cli(['install-hook', ...where, '--force', '--strategy', 'rules', '--table', '255']);
    expect(bad.code).toBe(2);
  });
});
