// Issue 13's whole recipe with real tincd on both ends, where nothing but install-hook configured either end:
// the server by `install-hook --server --address 172.16.1.1/16 --add-subnet` (its tinc-up sets the address and
// runs `serve`, its tinc-down `unserve`), the client by `install-hook --node server --address 172.16.1.2/16`.
// The client's datagram to the internet arrives from the server's uplink address (masqueraded: the router has no
// route back to the VPN); neither tincd's scripts make node execute anything (strace on both); a second `serve`
// changes nothing; after a clean stop the server's ruleset and every net.* setting are exactly as before it started.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKOUT_WARNING, CLI } from './support/cli.js';
import { findProgram } from './support/exec.js';
import { netnsExec } from './support/netns.js';
import { loadNat, netSettings, nft, procSys, ruleset } from './support/server-world.js';
import { stateFiles, stateKey } from './support/state.js';
import { ADDRESSES as A, createTincWorld, shareHostFiles, waitUntil } from './support/tinc.js';
import { internetSource, skipWithout, startInternetEcho, TINCD } from './support/tinc-suite.js';
import { TracedTincd } from './support/traced-tincd.js';

const strace = findProgram('strace');
const CLIENT_VPN = '172.16.1.2';
// A table of the user's own on the server: it stays as it was, handles and all.
const USERS_TABLE = `table ip mine {
  chain input {
    type filter hook input priority filter; policy accept;
    tcp dport 22 counter accept
  }
}
`;

/** Our CLI in a namespace; its stdout (rejects unless it exits 0). */
async function ours(ns: string, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return netnsExec(ns, process.execPath, [CLI, ...args]);
}

/** The server's ruleset (JSON, handles included) and every net.* setting: what a clean stop must restore. */
async function serverSettings(ns: string): Promise<{ ruleset: string; settings: Record<string, string> }> {
  return { ruleset: await ruleset(ns), settings: await netSettings(ns) };
}

describe.skipIf(skipWithout('strace'))('both ends set up by install-hook alone (real tincd)', () => {
  it('the client reaches the internet masqueraded by the server; nothing executed; a clean stop restores the server', async () => {
    const world = await createTincWorld(TINCD!, { bareServer: true, clientVpn: CLIENT_VPN });
    const { server, client } = world;
    // The fixture's tinc-up scripts (with `ip`) go: install-hook writes the only ones.
    await Promise.all([rm(join(server.confbase, 'tinc-up')), rm(join(client.confbase, 'tinc-up'))]);

    const serverInstall = await ours(
      server.ns,
      ...['install-hook', '--server', '--confbase', server.confbase, '--address', '172.16.1.1/16', '--add-subnet'],
    );
    expect(serverInstall.stderr).toBe(CHECKOUT_WARNING);
    expect(serverInstall.stdout).toContain(`added "Subnet = 0.0.0.0/0" to ${server.hostFile}\n`);
    // The user's part: the host files exchanged (hosts/server now says Subnet = 0.0.0.0/0 on both ends).
    await shareHostFiles([client, server]);
    const clientInstall = await ours(
      client.ns,
      ...['install-hook', '--node', 'server', '--confbase', client.confbase, '--address', `${CLIENT_VPN}/16`],
    );
    expect(clientInstall.stderr).toBe(CHECKOUT_WARNING);
    for (const script of [
      ...['tinc-up', 'tinc-down'].map((p) => join(server.confbase, p)),
      ...['tinc-up', 'tinc-down', 'hosts/server-up', 'hosts/server-down'].map((p) => join(client.confbase, p)),
    ]) {
      expect(await readFile(script, 'utf8'), script).not.toMatch(/\b(ip|nft|iptables|sysctl)\b|\/proc\//);
    }

    await netnsExec(server.ns, 'nft', ['-f', '-'], { input: USERS_TABLE });
    await loadNat(server.ns);
    const before = await serverSettings(server.ns);
    expect(before.settings['net.ipv4.ip_forward']).toBe('0');

    const serverd = new TracedTincd(TINCD!, strace!, server);
    await serverd.started();
    const clientd = new TracedTincd(TINCD!, strace!, client);
    await clientd.started();
    const diagnostics = async () => `${await serverd.diagnostics()}\n${await clientd.diagnostics()}`;
    const failWith = async (e: Error) => Promise.reject(new Error(`${e.message}\n${await diagnostics()}`));
    await startInternetEcho(world);

    // The server's tinc-up: its address, the link up, then serve: forwarding on, the VPN's /16 out of eth0.
    await waitUntil(
      () => /now masquerades:\n {2}ip saddr 172\.16\.0\.0\/16 oifname "eth0" masquerade$/m.test(serverd.output),
      15_000,
      () => 'the server never served vpn',
    ).catch(failWith);
    expect(serverd.output).toMatch(/^tinc-up vpn: added address 172\.16\.1\.1\/16 dev vpn$/m);
    expect(serverd.output).toMatch(/^set net\/ipv4\/ip_forward = 1 \(was 0\)$/m);
    expect(await procSys(server.ns, 'net/ipv4/ip_forward')).toBe('1');
    expect(await nft(server.ns, 'list', 'table', 'inet', 'redirect_gateway')).toContain(
      'ip saddr 172.16.0.0/16 oifname "eth0" masquerade',
    );
    const key = await stateKey(server.ns);
    const records = async () => (await stateFiles(key)).filter((n) => !n.endsWith('.lock'));
    expect(await records()).toEqual([`${key}_.forwarding.json`, `${key}_vpn.serve.json`]);

    // The client's datagram to the internet host arrives from the server's uplink address.
    let seen = '';
    await waitUntil(
      async () => (seen = await internetSource(client.ns)) === A.server,
      30_000,
      () => `the internet saw ${JSON.stringify(seen)}, not the server's uplink address ${A.server}`,
    ).catch(failWith);

    // A second serve, by hand: nothing changes, to the last handle.
    const served = await serverSettings(server.ns);
    expect((await ours(server.ns, 'serve', 'vpn')).stdout).toBe(
      'IPv4 uplink eth0 (route to 192.0.2.1)\nvpn: nothing changed\n',
    );
    expect(await serverSettings(server.ns)).toEqual(served);

    // Clean stops: the client's tinc-down, then the server's (unserve, then its address off).
    expect(await clientd.stop().catch(failWith)).toBe(0);
    expect(await serverd.stop().catch(failWith)).toBe(0);
    expect(serverd.output).toMatch(/^removed from table inet redirect_gateway:$/m);
    expect(serverd.output).toMatch(/^restored net\/ipv4\/ip_forward = 0 \(was 1\)$/m);
    expect(serverd.output).toMatch(/^tinc-down vpn: /m);
    for (const d of [serverd, clientd]) expect(d.output, 'hook output').not.toMatch(/failed|error|redirect-gateway:/i);
    expect(await serverSettings(server.ns)).toEqual(before);
    expect(await records()).toEqual([]);

    // Both traces: tincd runs each script through /bin/sh, the scripts exec node; node itself executes nothing.
    for (const [d, scripts] of [
      [serverd, ['tinc-up', 'tinc-down']],
      [clientd, ['tinc-up', 'tinc-down', 'hosts/server-up', 'hosts/server-down']],
    ] as const) {
      const execs = await d.execs();
      const programs = [...new Set(execs.map((e) => e.program))].sort();
      expect(programs).toEqual(
        [process.execPath, '/bin/sh', TINCD!, ...scripts.map((p) => join(d.node.confbase, p))].sort(),
      );
      expect(execs.filter((e) => e.caller === process.execPath)).toEqual([]);
      expect(execs.filter((e) => e.program === process.execPath).length).toBeGreaterThanOrEqual(4); // 2 per script on the server
    }
  });
});
