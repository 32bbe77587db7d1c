// `redirect-gateway monitor` as a process: lines for the changes `ip` makes, overrun after SIGSTOP and a flood,
// and a clean exit on SIGTERM.
import { describe, expect, it } from 'vitest';
import { defer } from './support/cleanup.js';
import { startCli } from './support/cli.js';
import type { Running } from './support/exec.js';
import { ip, ipBatch } from './support/ip.js';
import { createTunLan } from './support/tun-client.js';

const MARKER = '10.250.0.0/16';

async function waitForOutput(running: Running, pred: (out: string) => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred(running.stdout)) {
    if (Date.now() > deadline)
      throw new Error(`monitor printed, last: ${running.output.split('\n').slice(-8).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Starts the monitor and waits until it listens: a marker route, added and deleted until the monitor reports it. */
async function startMonitor(ns: string, args: string[]): Promise<Running> {
  const running = startCli(['monitor', ...args, '--netns', ns], { timeoutMs: 60_000 });
  defer(() => running.child.kill('SIGKILL'));
  for (let i = 0; !running.stdout.includes(MARKER); i++) {
    if (i > 200) throw new Error(`monitor never listened: ${running.output}`);
    await ip(ns, 'route', i % 2 ? 'del' : 'add', MARKER, 'dev', 'eth0'); // an identical replace reports nothing
    await new Promise((r) => setTimeout(r, 50));
  }
  return running;
}

const linesAfterMarker = (out: string) =>
  out
    .split('\n')
    .filter((l) => l && !l.includes(MARKER))
    .map((l) => l.trim());

describe('monitor', () => {
  it('prints ip-monitor-like lines for route and address changes, and exits 0 on SIGTERM', async () => {
    const lan = await createTunLan();
    const running = await startMonitor(lan.client, ['route', 'address']);
    await ip(lan.client, 'route', 'add', '10.9.0.0/16', 'via', '192.168.1.1');
    await ip(lan.client, '-6', 'route', 'add', '2001:db8:9::/48', 'dev', 'vpn');
    await ip(lan.client, 'route', 'del', '10.9.0.0/16');
    await ip(lan.client, 'addr', 'add', '10.77.0.1/24', 'dev', 'vpn');
    await ip(lan.client, 'addr', 'del', '10.77.0.1/24', 'dev', 'vpn');
    await waitForOutput(running, (out) => /Deleted \d+: vpn {4}inet 10\.77\.0\.1\/24/.test(out));
    running.child.kill('SIGTERM');
    const exit = await running.exit;
    expect(exit.code).toBe(0);
    const vpnIndex = (await ip(lan.client, '-o', 'link', 'show', 'vpn')).split(':')[0];
    // Adding and deleting an address adds and deletes its local routes (table local) and its prefix route.
    const lines = linesAfterMarker(exit.stdout).filter((l) => !l.includes('table local') && !l.includes('10.77.0.0'));
    expect(lines).toEqual([
      '10.9.0.0/16 via 192.168.1.1 dev eth0',
      '2001:db8:9::/48 dev vpn metric 1024 linkdown pref medium', // as ip route show prints it (vpn has no carrier)
      'Deleted 10.9.0.0/16 via 192.168.1.1 dev eth0',
      `${vpnIndex}: vpn    inet 10.77.0.1/24 scope global vpn`, // as ip monitor address prints it
      `Deleted ${vpnIndex}: vpn    inet 10.77.0.1/24 scope global vpn`,
    ]);
    expect(exit.stderr).toBe('');
  });

  it('prints one JSON object per line with --json', async () => {
    const lan = await createTunLan();
    const running = await startMonitor(lan.client, ['route', 'link', '--json']);
    await ip(lan.client, 'route', 'add', '10.9.0.0/16', 'via', '192.168.1.1', 'metric', '5');
    await ip(lan.client, 'link', 'set', 'vpn', 'mtu', '1300');
    await waitForOutput(running, (out) => out.includes('"mtu":1300'));
    running.child.kill('SIGINT');
    const exit = await running.exit;
    expect(exit.code).toBe(0);
    const events = linesAfterMarker(exit.stdout).map((l) => JSON.parse(l) as unknown);
    expect(events[0]).toEqual({
      type: 'route',
      action: 'new',
      route: {
        family: 4,
        table: 'main',
        dst: '10.9.0.0/16',
        gateway: '192.168.1.1',
        dev: 'eth0',
        metric: 5,
        protocol: 'boot',
        scope: 'global',
        type: 'unicast',
      },
    });
    expect(events.at(-1)).toMatchObject({ type: 'link', action: 'new', link: { name: 'vpn', mtu: 1300 } });
  });

  it('reports an overrun after SIGSTOP and a flood, and goes on after SIGCONT', async () => {
    const lan = await createTunLan();
    const running = await startMonitor(lan.client, ['route']);
    running.child.kill('SIGSTOP');
    const lines = Array.from(
      { length: 20000 },
      (_, i) => `route add 10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32 dev eth0`,
    );
    await ipBatch(lan.client, lines);
    running.child.kill('SIGCONT');
    await waitForOutput(running, (out) => out.includes('overrun'));
    // After an overrun the kernel drops the socket's further notifications without another ENOBUFS until the
    // backlog has been read (the one overrun stands for them all): the probe is made again until the monitor,
    // caught up, reports it.
    const probe = '10.9.0.0/16 via 192.168.1.1 dev eth0'; // its addition (a deletion's line starts with Deleted)
    for (let i = 0; !running.stdout.split('\n').includes(probe); i++) {
      if (i > 400)
        throw new Error(`the monitor never reported the probe after the overrun: ${running.output.slice(-500)}`);
      await ip(lan.client, 'route', i % 2 ? 'del' : 'add', '10.9.0.0/16', 'via', '192.168.1.1');
      await new Promise((r) => setTimeout(r, 50));
    }
    running.child.kill('SIGTERM');
    const exit = await running.exit;
    expect(exit.code).toBe(0);
    const out = exit.stdout.split('\n');
    const overrun = out.indexOf('overrun: events were lost; read the state again');
    expect(overrun).toBeGreaterThan(0);
    expect(out.indexOf(probe)).toBeGreaterThan(overrun);
  });

  it('refuses an unknown event type with exit 2', async () => {
    const lan = await createTunLan();
    const running = startCli(['monitor', 'neighbour', '--netns', lan.client]);
    const exit = await running.exit;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(/^redirect-gateway: monitor: unknown event type "neighbour"/);
  });
});
