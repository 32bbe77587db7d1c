// The client configured by install-hook alone (`--node server --address 172.16.1.2/16`): its tinc-up, written by
// us, holds no `ip` command; real tincd on both ends (the server by hand here: tinc-server-e2e.test.ts has both
// ends by install-hook), a datagram through the tunnel to the server's VPN address and back, and an strace of the
// client's tincd that shows no process of ours (node) executing any program.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from './support/cli.js';
import { findProgram, run } from './support/exec.js';
import { ip, ipJson } from './support/ip.js';
import { tempDir } from './support/package.js';
import {
  ADDRESSES as A,
  createTincWorld,
  ECHO_PORT,
  NetnsProcess,
  startTincd,
  startUdpEcho,
  udpProbe,
  waitUntil,
} from './support/tinc.js';
import { internetSource, skipWithout, startInternetEcho, TINCD } from './support/tinc-suite.js';
import { execsByProgram, traceArgs, TracedTincd } from './support/traced-tincd.js';

const strace = findProgram('strace');
const CLIENT_VPN = '172.16.1.2';

it("the trace reader settles an execve written before its parent's clone returned (vfork)", () => {
  const trace = [
    '100 execve("/usr/bin/node", ["node"], 0x7ffd /* 9 vars */) = 0',
    '100 clone3({flags=CLONE_VM|CLONE_VFORK|CLONE_CLEAR_SIGHAND, exit_signal=SIGCHLD, stack=0x7f, stack_size=0x9000}, 88 <unfinished ...>',
    '101 execve("/bin/true", ["/bin/true"], 0x7ffd /* 9 vars */) = 0',
    '100 <... clone3 resumed>) = 101',
    '101 clone(child_stack=NULL, flags=CLONE_CHILD_SETTID|SIGCHLD) = 102',
    '102 execve("/bin/false", ["/bin/false"], 0x7ffd /* 9 vars */) = 0',
  ].join('\n');
  expect(execsByProgram(trace, '/usr/bin/strace')).toEqual([
    { caller: '/usr/bin/strace', program: '/usr/bin/node' },
    { caller: '/usr/bin/node', program: '/bin/true' },
    { caller: '/bin/true', program: '/bin/false' },
  ]);
});

describe.skipIf(skipWithout('strace'))('tinc-up written by install-hook (real tincd)', () => {
  it('the trace reader sees a program that node executes (the oracle can fail)', async () => {
    const traceFile = join(await tempDir('trace'), 'execve.trace');
    const spawning = "require('node:child_process').execFileSync('/bin/true')";
    const args = [...traceArgs(traceFile), '/bin/sh', '-c'];
    await run(strace!, [...args, `exec ${process.execPath} -e "${spawning}"`]);
    const execs = execsByProgram(await readFile(traceFile, 'utf8'), strace!);
    expect(execs).toEqual([
      { caller: strace!, program: '/bin/sh' },
      { caller: '/bin/sh', program: process.execPath },
      { caller: process.execPath, program: '/bin/true' },
    ]);
  });

  it('install-hook --node server --address 172.16.1.2/16 alone: the tunnel carries a datagram; node executes nothing', async () => {
    const world = await createTincWorld(TINCD!, { clientVpn: CLIENT_VPN });
    const confbase = world.client.confbase;
    // The fixture's tinc-up (with `ip`) is the user's own: refused, with the line to add to it.
    const install = ['install-hook', '--node', 'server', '--confbase', confbase, '--address', `${CLIENT_VPN}/16`];
    const refused = await new NetnsProcess('install-hook', world.ns.client, process.execPath, [CLI, ...install], {})
      .exited;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /tinc-up exists .*add this line to it: `.*'hook' 'tinc-up' '--address' '172\.16\.1\.2\/16'`/,
    );
    await rm(join(confbase, 'tinc-up'));
    const installed = await new NetnsProcess('install-hook', world.ns.client, process.execPath, [CLI, ...install], {})
      .exited;
    expect(installed.code, installed.stderr).toBe(0);
    const tincUp = await readFile(join(confbase, 'tinc-up'), 'utf8');
    expect(tincUp).not.toMatch(/\bip\b/);
    expect(tincUp).toContain("'hook' 'tinc-up' '--address' '172.16.1.2/16'");

    const server = await startTincd(TINCD!, world.server, { PATH: process.env.PATH });
    await startUdpEcho(world.ns.server, A.serverVpn, ECHO_PORT);
    await startInternetEcho(world);

    // The client's tincd under strace, with a PATH that finds nothing: the scripts name everything absolutely.
    const client = new TracedTincd(TINCD!, strace!, world.client);
    const diagnostics = async () => `${await client.diagnostics()}\n--- server\n${await server.diagnostics()}`;
    await client.started();

    // tinc-up: our address on vpn, the link up, from our executable.
    await waitUntil(
      () => /^tinc-up vpn: set vpn up$/m.test(client.output),
      10_000,
      () => 'tinc-up never ran',
    ).catch(async (e: Error) => Promise.reject(new Error(`${e.message}\n${await diagnostics()}`)));
    expect(client.output).toMatch(/^tinc-up vpn: added address 172\.16\.1\.2\/16 dev vpn$/m);
    const [vpn] = await ipJson<
      { flags: string[]; addr_info: { family: string; local: string; prefixlen: number }[] }[]
    >(world.ns.client, 'addr', 'show', 'dev', 'vpn');
    expect(vpn.flags).toContain('UP');
    expect(vpn.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual([
      `${CLIENT_VPN}/16`,
    ]);

    // Through the tunnel to the server's VPN address and back: the server's echo sees the client's VPN address.
    let seen = '';
    await waitUntil(
      async () => (seen = await udpProbe(world.ns.client, A.serverVpn, ECHO_PORT).catch(() => '')) === CLIENT_VPN,
      20_000,
      () => `the server's VPN address never answered (last: ${JSON.stringify(seen)})`,
    ).catch(async (e: Error) => Promise.reject(new Error(`${e.message}\n${await diagnostics()}`)));
    // And the redirect (hosts/server-up) is on: the internet sees the server's address.
    await waitUntil(
      async () => (seen = await internetSource(world.ns.client)) === A.server,
      20_000,
      () => `the internet saw ${JSON.stringify(seen)}, not the server`,
    ).catch(async (e: Error) => Promise.reject(new Error(`${e.message}\n${await diagnostics()}`)));

    // A clean stop: tinc-down lifts the redirect and takes the address.
    const code = await client
      .stop()
      .catch(async (e: Error) => Promise.reject(new Error(`${e.message}\n${await diagnostics()}`)));
    expect(code, await diagnostics()).toBe(0);
    expect(client.output).toMatch(/^tinc-down vpn: /m);
    expect(client.output, 'hook output').not.toMatch(/failed|error|redirect-gateway:/i);
    expect(await ip(world.ns.client, 'route', 'show', 'proto', '157')).toBe('');

    // The trace: tincd runs each script through /bin/sh (the kernel runs our #!/bin/sh scripts with it), the
    // scripts exec node; node itself executes nothing.
    const execs = await client.execs();
    const scripts = ['tinc-up', 'tinc-down', 'hosts/server-up', 'hosts/server-down'].map((p) => join(confbase, p));
    const programs = [...new Set(execs.map((e) => e.program))].sort();
    expect(programs).toEqual([process.execPath, '/bin/sh', TINCD!, ...scripts].sort());
    expect(execs.filter((e) => e.caller === process.execPath)).toEqual([]);
    expect(execs.filter((e) => e.program === process.execPath).length).toBeGreaterThanOrEqual(4); // tinc-up, server-up, server-down, tinc-down
  });
});
