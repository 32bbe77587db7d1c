// `npm start` (redirect-gateway demo): the seed's tables reproduced in a sandbox that is gone afterwards.
// Inside the runner's sandbox (test/run), and for `npm start` in a mount namespace of its own besides, so
// that "nothing left behind" is checked on exactly what the demo could have touched.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRouteN, ROUTE_N_HEADER } from '../src/demo/route-n.js';
import { open } from '../src/netlink/socket.js';
import { defer } from './support/cleanup.js';
import { findProgram, run, runAsNobody, start } from './support/exec.js';
import { ip } from './support/ip.js';
import { createLan } from './support/lan.js';
import { listNetns, netnsExec } from './support/netns.js';
import { REPO } from './support/package.js';
import { stateFiles, stateKey } from './support/state.js';
import { waitUntil } from './support/tinc.js';

const MAIN = join(REPO, 'dist/cli/main.js');

// The seed's tables (tinc's documentation, "redirecting the default gateway"), row for row, with the
// documentation address 198.51.100.10 where the seed has the server's real address 192.0.32.10.
const SEED_BEFORE = ['192.168.1.0 0.0.0.0 255.255.255.0 U 0 0 0 eth0', '0.0.0.0 192.168.1.1 0.0.0.0 UG 0 0 0 eth0'];
const SEED_REDIRECTED = [
  '172.16.1.1 0.0.0.0 255.255.255.255 UH 0 0 0 vpn',
  '192.0.32.10 192.168.1.1 255.255.255.255 UGH 0 0 0 eth0',
  '192.168.1.0 0.0.0.0 255.255.255.0 U 0 0 0 eth0',
  '128.0.0.0 172.16.1.1 128.0.0.0 UG 0 0 0 vpn',
  '0.0.0.0 172.16.1.1 128.0.0.0 UG 0 0 0 vpn',
  '0.0.0.0 192.168.1.1 0.0.0.0 UG 0 0 0 eth0',
].map((row) => row.replace('192.0.32.10', '198.51.100.10'));

// After the roam of act 4 the LAN's gateway is 192.168.1.254.
const ROAMED = (rows: string[]) => rows.map((row) => row.replace('192.168.1.1 ', '192.168.1.254 '));
const FALLBACK = ['0.0.0.0 - 128.0.0.0 ! 65535 - 0 -', '128.0.0.0 - 128.0.0.0 ! 65535 - 0 -'];

const squeeze = (line: string) => line.trim().split(/\s+/).join(' ');

/** The output's steps ('== N. ...' sections), each with its route -n rows (whitespace squeezed). */
function steps(output: string): { title: string; text: string; rows: string[] }[] {
  return output
    .split(/^== /m)
    .slice(1)
    .map((section) => {
      const lines = section.split('\n');
      const header = lines.indexOf(ROUTE_N_HEADER);
      const rows: string[] = [];
      for (let i = header + 1; header >= 0 && i < lines.length && lines[i].trim() !== ''; i++)
        rows.push(squeeze(lines[i]));
      return { title: lines[0], text: section, rows };
    });
}

/** The demo's namespaces (other test files make namespaces of their own at the same time). */
async function demoNamespaces(): Promise<string[]> {
  return (await listNetns()).filter((n) => n.startsWith('rgdemo-')).sort();
}

/**
 * Runs `npm start` in a mount namespace of its own with empty /run/netns and /run/redirect-gateway: all the
 * demo could leave behind (namespaces, state files) is then its own, listed after it ends.
 */
const ISOLATED = `set -e
mount -t tmpfs -o mode=0755 demo-netns /run/netns
mount -t tmpfs -o mode=0700 demo-state /run/redirect-gateway
cd "$1"
npm start --silent
echo "--- left in /run/netns: $(ls -A /run/netns)"
echo "--- left in /run/redirect-gateway: $(cd /run/redirect-gateway && find . -mindepth 1 ! -type d)"
`;

describe('npm start: redirect-gateway demo', () => {
  it("prints the seed's tables before, after up and after down, a roam with --follow, the kill switch after a kill, and leaves nothing behind", async () => {
    // npm as a user runs it (no update check: the sandbox has no network).
    const { stdout, stderr } = await run(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', ISOLATED, 'sh', REPO],
      {
        env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' },
        timeoutMs: 60_000,
      },
    );
    expect(stderr).toBe('');
    // Nothing left behind: no namespace, no file (the directories shared by every namespace, such as the hooks'
    // intents/ that the follower watches, stay, as /run/redirect-gateway itself does).
    expect(stdout).toContain('\n--- left in /run/netns: \n--- left in /run/redirect-gateway: \n');
    const [first, up, down, roam, killSwitch, killed, lifted, ...rest] = steps(stdout);
    expect(rest).toEqual([]);
    expect(first.title).toMatch(/^1\. Before/);
    expect(up.title).toMatch(/^2\. Up/);
    expect(down.title).toMatch(/^3\. Down/);
    expect(roam.title).toMatch(/^4\. Roaming with --follow/);
    expect(killSwitch.title).toMatch(/^5\. The kill switch: up --kill-switch/);
    expect(killed.title).toMatch(/^6\. kill -9 of tincd/);
    expect(lifted.title).toMatch(/^7\. Down: the kill switch lifted/);

    // The route -n layout, and the seed's rows: two rows before, six while redirected, two again after down.
    expect(stdout).toContain(`Kernel IP routing table\n${ROUTE_N_HEADER}\n`);
    expect(first.rows.sort()).toEqual([...SEED_BEFORE].sort());
    expect(up.rows.sort()).toEqual([...SEED_REDIRECTED].sort());
    expect(down.rows.sort()).toEqual([...SEED_BEFORE].sort());
    expect(up.text).toMatch(/^0\.0\.0\.0 +172\.16\.1\.1 +128\.0\.0\.0 +UG +0 +0 +0 vpn$/m);
    expect(up.text).toMatch(/^198\.51\.100\.10 +192\.168\.1\.1 +255\.255\.255\.255 UGH +0 +0 +0 eth0$/m);
    expect(stdout).toMatch(/198\.51\.100\.10[^\n]*\n?[^\n]*192\.0\.32\.10/); // says whom the address stands for

    // The ip route form, through the library (the tun has no carrier here: ip says linkdown).
    expect(up.text).toContain('  0.0.0.0/1 via 172.16.1.1 dev vpn proto 157 linkdown\n');
    expect(up.text).toContain('  128.0.0.0/1 via 172.16.1.1 dev vpn proto 157 linkdown\n');
    expect(up.text).toContain('  198.51.100.10 via 192.168.1.1 dev eth0 proto 157\n');
    expect(up.text).toContain('  default via 192.168.1.1 dev eth0\n');

    // A kernel lookup per destination, each where the documentation says.
    expect(up.text).toMatch(/^ {2}198\.51\.100\.10 .* via 192\.168\.1\.1 dev eth0 .* ok$/m);
    expect(up.text).toMatch(/^ {2}172\.16\.1\.1 .* dev vpn .* ok$/m);
    expect(up.text).toMatch(/^ {2}192\.168\.1\.20 .* dev eth0 .* ok$/m);
    expect(up.text).toMatch(/^ {2}10\.1\.2\.3 .* via 172\.16\.1\.1 dev vpn .* ok$/m);
    expect(up.text).toMatch(/^ {2}203\.0\.113\.7 .* via 172\.16\.1\.1 dev vpn .* ok$/m);
    expect(first.text).toMatch(/^ {2}203\.0\.113\.7 .* via 192\.168\.1\.1 dev eth0 .* ok$/m);
    expect(stdout).not.toContain('UNEXPECTED');
    expect(down.text).toContain('The table is exactly as it was before the redirect.');

    // 4. The roam: the follower moves the exception route to the new gateway; the time is printed, not judged.
    expect(roam.text).toContain(
      '\n  before the roam: 198.51.100.10 via 192.168.1.1 dev eth0 proto 157\n' +
        '  after the roam:  198.51.100.10 via 192.168.1.254 dev eth0 proto 157\n',
    );
    const followed = /The follower fixed it (\d+) ms after main's default moved to 192\.168\.1\.254/.exec(roam.text);
    expect(followed, roam.text).not.toBeNull();
    console.log(`demo: the follower fixed the exception route ${followed![1]} ms after the roam`);
    expect(roam.text).toContain(
      "The follower's log meanwhile:\n  vpn: replace 198.51.100.10/32 via 192.168.1.254 dev eth0\n",
    );
    expect(roam.rows.sort()).toEqual(ROAMED(SEED_REDIRECTED).sort());
    expect(roam.text).toMatch(/^ {2}198\.51\.100\.10 .* via 192\.168\.1\.254 dev eth0 .* ok$/m);
    expect(roam.text).toMatch(/^ {2}10\.1\.2\.3 .* via 172\.16\.1\.1 dev vpn .* ok$/m);
    expect(roam.text).toMatch(/^ {2}203\.0\.113\.7 .* via 172\.16\.1\.1 dev vpn .* ok$/m);

    // 5.-7. The kill switch: the fallback behind the halves; after the kill the fallback and the exception stand,
    // a probe is refused; down restores both families' main tables exactly.
    expect(killSwitch.rows.sort()).toEqual([...ROAMED(SEED_REDIRECTED), ...FALLBACK].sort());
    expect(killSwitch.text).toContain('  added unreachable 0.0.0.0/1 metric 65535\n');
    expect(killed.rows.sort()).toEqual(
      [...ROAMED(SEED_BEFORE), '198.51.100.10 192.168.1.254 255.255.255.255 UGH 0 0 0 eth0', ...FALLBACK].sort(),
    );
    expect(killed.text).toContain('  unreachable 0.0.0.0/1 proto 157 metric 65535\n');
    expect(killed.text).toContain('  198.51.100.10 via 192.168.1.254 dev eth0 proto 157\n');
    expect(killed.text).toMatch(/^ {2}198\.51\.100\.10 .* via 192\.168\.1\.254 dev eth0 .* ok$/m);
    expect(killed.text).toContain(
      'A UDP datagram from the client to 203.0.113.7 port 9 (the internet): refused by the kernel (EHOSTUNREACH)',
    );
    expect(lifted.rows.sort()).toEqual(ROAMED(SEED_BEFORE).sort());
    const comparison = lifted.text.split('route for route (= in both, - only before, + only now):\n')[1] ?? '';
    expect(comparison.slice(0, comparison.indexOf('\n\n')).split('\n').sort()).toEqual([
      '  = 192.168.1.0/24 dev eth0 proto kernel scope link src 192.168.1.2',
      '  = default via 192.168.1.254 dev eth0',
      '  = fe80::/64 dev eth0 proto kernel metric 256 pref medium',
    ]);
    expect(lifted.text).toContain('The table is exactly as it was before the redirect.');
    expect(stdout).toMatch(/The sandbox is removed: network namespaces rgdemo-\d+-client and rgdemo-\d+-lan deleted\./);
  });

  // After step 1, and in act 4 while the follower runs (paused, its watch open: it must not keep the demo alive).
  it.each([
    { step: 1, title: '1. Before', next: '== 2. Up' },
    { step: 4, title: '4. Roaming with --follow', next: '== 5. The kill switch' },
  ])('removes the sandbox when interrupted (Ctrl-C while paused with --pause after step $step)', async (t) => {
    expect(await demoNamespaces()).toEqual([]);
    const demo = start(process.execPath, [MAIN, 'demo', '--pause'], { stdin: 'pipe', timeoutMs: null });
    const { child } = demo;
    defer(() => child.kill('SIGKILL'));
    const prompts = () => demo.stdout.split('press Enter').length - 1;
    const waitForPrompt = (n: number, what: string) =>
      waitUntil(
        () => prompts() === n,
        20_000,
        () => `no prompt after ${what}:\n${demo.stdout}${demo.stderr}`,
      );

    await waitForPrompt(1, 'the sandbox');
    const made = await demoNamespaces();
    expect(made).toHaveLength(2); // the sandbox exists while the demo waits
    const client = made.find((n) => n.endsWith('-client'))!;
    const nsId = await stateKey(client); // the key of its state files
    for (let step = 1; step <= t.step; step++) {
      child.stdin!.write('\n'); // Enter: on to the next step
      await waitForPrompt(step + 1, `step ${step}`);
    }
    expect(demo.stdout).toContain(`== ${t.title}`);
    child.kill('SIGINT');

    const { code, stdout, stderr } = await demo.exit;
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('redirect-gateway: demo: interrupted by SIGINT; the sandbox was removed');
    expect(stdout).not.toContain(t.next);
    expect(stdout).toContain(
      `The sandbox is removed: network namespaces ${client} and ${client.replace(/client$/, 'lan')} deleted.`,
    );
    expect(await demoNamespaces()).toEqual([]);
    expect(await stateFiles(nsId)).toEqual([]);
  });

  it('refuses to run without root, in one line, creating nothing', async (ctx) => {
    if (!findProgram('setpriv')) ctx.skip();
    // dist/ may sit in a directory nobody cannot read: run it only if nobody can.
    if ((await runAsNobody('test', ['-r', MAIN])).code !== 0) ctx.skip();
    const result = await runAsNobody(process.execPath, [MAIN, 'demo']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'redirect-gateway: demo: the demo creates network namespaces and must run as root (sudo npm start)\n',
    );
    expect(await demoNamespaces()).toEqual([]);
  });
});

describe('the route -n layout', () => {
  it("is what net-tools' route -n prints for the same table, row for row", async (ctx) => {
    const route = findProgram('route');
    if (!route) ctx.skip(); // net-tools is not installed
    const lan = await createLan({ clientAddress6: null, routerAddress6: null });
    const ns = lan.client;
    for (const args of [
      ['172.16.1.1', 'dev', 'eth0'],
      ['198.51.100.10', 'via', '192.168.1.1', 'dev', 'eth0', 'metric', '5'],
      ['0.0.0.0/1', 'via', '192.168.1.1', 'dev', 'eth0'],
      ['128.0.0.0/1', 'via', '192.168.1.1', 'dev', 'eth0', 'metric', '4294967295'],
      ['10.4.0.0/16', 'dev', 'eth0', 'metric', '100'],
      ['unreachable', '10.9.0.1'],
      ['prohibit', '10.7.0.0/16'],
      ['blackhole', '10.8.0.0/24'],
      ['throw', '10.6.0.0/16'],
      ['broadcast', '10.2.0.255', 'dev', 'eth0', 'table', 'main'], // route -n leaves broadcast routes out
      ['local', '10.2.0.1', 'dev', 'eth0', 'table', 'main'],
    ]) {
      await ip(ns, 'route', 'add', ...args);
    }
    const nl = await open({ netns: ns });
    defer(() => nl.close());
    const ours = formatRouteN(await nl.listRoutes({ family: 4, table: 'main' }));
    const theirs = (await netnsExec(ns, route!, ['-n'])).stdout.trimEnd().split('\n');
    expect(ours.slice(0, 2)).toEqual(theirs.slice(0, 2));
    // Same rows, spacing included; the order differs (route -n: the kernel's trie; ours: most specific first).
    expect(ours.slice(2).sort()).toEqual(theirs.slice(2).sort());
    expect(ours[2].split(/\s+/)[2], 'most specific first').toBe('255.255.255.255');
  });
});
