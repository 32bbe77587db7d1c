// Real tincd (Debian's tinc 1.0) for the end-to-end test: node configurations with keys, daemons run in the
// foreground inside a namespace, and the topology of issue 4 (a client behind a LAN router, a VPN server
// and a third mesh node on the "internet", and an internet host that echoes the source address it sees).
//
//   client ns                 router ns                          server ns
//   eth0 192.168.1.2/24 <-> eth0 192.168.1.1/24                  eth0 198.51.100.10/24 (tincd, masquerades)
//   vpn  172.16.2.2/16        eth1 198.51.100.1/24  <----------> vpn  172.16.1.1/16
//   default via 192.168.1.1   eth2 203.0.113.1/24   <-> inet ns  eth0 203.0.113.7/24 (UDP echo)
//                             eth3 192.0.2.1/24     <-> peer ns  eth0 192.0.2.20/24, vpn 172.16.3.3/16
//
// The router forwards without NAT, so the echo sees the client's LAN address on the direct path and the
// server's address (its masquerade) on the VPN path.
import type { ChildProcess } from 'node:child_process';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defer } from './cleanup.js';
import { type Exit, findProgram, run, type Running, start } from './exec.js';
import { ip } from './ip.js';
import { createNetns, enableForwarding, netnsExec } from './netns.js';
import { tempDir } from './package.js';

/** tincd, when installed. */
export function findTincd(): string | undefined {
  return findProgram('tincd');
}

// ---------------------------------------------------------------------------------------------------------
// Node configurations

export interface TincNodeOptions {
  /** tinc node name ([A-Za-z0-9_]). */
  name: string;
  ns: string;
  /** The node's address on the VPN, e.g. '172.16.2.2'; tinc-up puts it on the tun device with vpnPrefix. */
  vpnAddress: string;
  vpnPrefix?: number;
  /** The real address others connect to (Address = in its host file). */
  address?: string;
  /** Subnet lines of its host file; default its VPN address /32. */
  subnets?: string[];
  connectTo?: string[];
  /** More lines for tinc.conf (e.g. `PingInterval = 10`). */
  conf?: string[];
}

export interface TincNode {
  name: string;
  ns: string;
  confbase: string;
  vpnAddress: string;
  /** hosts/NAME inside its own confbase. */
  hostFile: string;
}

/** Writes tinc.conf, tinc-up and hosts/NAME into a fresh confbase and generates the node's RSA keys. */
export async function createTincNode(tincd: string, o: TincNodeOptions): Promise<TincNode> {
  const confbase = await tempDir(`tinc-${o.name}`);
  await mkdir(join(confbase, 'hosts'));
  const conf = [
    `Name = ${o.name}`,
    'Interface = vpn',
    'AddressFamily = ipv4',
    ...(o.connectTo ?? []).map((c) => `ConnectTo = ${c}`),
    ...(o.conf ?? []),
  ];
  await writeFile(join(confbase, 'tinc.conf'), conf.join('\n') + '\n');
  // tinc-up with absolute paths: the client's tincd runs with a PATH that finds nothing.
  const ipPath = findProgram('ip') ?? '/sbin/ip';
  const tincUp = `#!/bin/sh\n${ipPath} address add ${o.vpnAddress}/${o.vpnPrefix ?? 16} dev "$INTERFACE"\n${ipPath} link set "$INTERFACE" up\n`;
  await writeFile(join(confbase, 'tinc-up'), tincUp, { mode: 0o755 });
  const host = [
    ...(o.address ? [`Address = ${o.address}`] : []),
    ...(o.subnets ?? [`${o.vpnAddress}/32`]).map((s) => `Subnet = ${s}`),
  ];
  const hostFile = join(confbase, 'hosts', o.name);
  await writeFile(hostFile, host.join('\n') + '\n');
  // Not a terminal on stdin: tincd takes the default file names without asking; it appends the public key to hosts/NAME.
  await run(tincd, ['-c', confbase, '-K2048'], { input: '' });
  return { name: o.name, ns: o.ns, confbase, vpnAddress: o.vpnAddress, hostFile };
}

/** Copies every node's host file (with its public key) into every other node's hosts/. */
export async function shareHostFiles(nodes: TincNode[]): Promise<void> {
  for (const from of nodes) {
    for (const to of nodes) if (to !== from) await copyFile(from.hostFile, join(to.confbase, 'hosts', from.name));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Daemons

/** A process run in the foreground inside a namespace (`ip netns exec`), its stdout and stderr collected. */
export class NetnsProcess {
  readonly #running: Running;
  /** It has exited ('exit', not 'close': a script the daemon started may hold its stdout open a little longer). */
  readonly exited: Promise<Exit>;
  /** Its stdout and stderr are closed: everything it and its scripts wrote has been read. */
  readonly closed: Promise<void>;
  #spawnError = '';
  #exit: Exit | undefined;

  constructor(
    readonly label: string,
    ns: string,
    file: string,
    args: string[],
    env: NodeJS.ProcessEnv,
  ) {
    // `ip netns exec` execs the program: the child's pid is the program's own.
    this.#running = start(findProgram('ip') ?? 'ip', ['netns', 'exec', ns, file, ...args], { env, timeoutMs: null });
    this.exited = this.#running.exited.then(
      (exit) => (this.#exit = exit),
      (e: Error) => {
        this.#spawnError = `\n[spawn failed: ${e.message}]`;
        return (this.#exit = { code: null, signal: null, stdout: '', stderr: '', ms: 0, timedOut: false });
      },
    );
    this.closed = this.#running.exit.then(
      () => undefined,
      () => undefined,
    );
    defer(() => this.kill('SIGKILL'));
  }

  get child(): ChildProcess {
    return this.#running.child;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Everything it (and the scripts it ran) wrote to stdout and stderr so far. */
  get output(): string {
    return this.#running.output + this.#spawnError;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Sends the signal and waits (bounded) for the process to end, and for the last of its output. */
  async stop(signal: NodeJS.Signals, timeoutMs = 10_000): Promise<Exit> {
    this.kill(signal);
    const exit = await withTimeout(
      this.exited,
      timeoutMs,
      () => `${this.label} did not exit within ${timeoutMs} ms of ${signal}\n${this.output}`,
    );
    await withTimeout(this.closed, 2_000, () => '').catch(() => undefined); // a script it left running may keep the pipe
    return exit;
  }

  /** Waits until the output matches. */
  async waitForOutput(pattern: RegExp, timeoutMs = 10_000): Promise<void> {
    await waitUntil(
      () => pattern.test(this.output),
      timeoutMs,
      () => `${this.label} never printed ${pattern}:\n${this.output}`,
    );
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls a condition every 25 ms until it holds, or fails after timeoutMs. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  message: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(message());
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** When each node's tincd last started (ms), by confbase. */
const lastStart = new Map<string, number>();
let starts = 0;

/**
 * Starts a node's tincd (see TincDaemon), but never twice for one node within a wall-clock second, and
 * returns once it listens. tincd 1.0 tags its requests with a rand() seeded from the clock: a node restarted
 * within the same second was seen to repeat its previous ADD_EDGE word for word; the server then drops it as
 * already seen, keeps the node unreachable, and tincd 1.0.36 segfaults on the node's next REQ_KEY (a NULL
 * nexthop in send_ans_key). A real restart is seconds apart; the test's are not.
 */
export async function startTincd(tincd: string, node: TincNode, env: NodeJS.ProcessEnv): Promise<TincDaemon> {
  const previous = lastStart.get(node.confbase);
  if (previous !== undefined && Math.floor(Date.now() / 1000) === Math.floor(previous / 1000)) {
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
  }
  lastStart.set(node.confbase, Date.now());
  const daemon = new TincDaemon(tincd, node, env, join(node.confbase, `tincd.${++starts}.log`));
  // Listening: a node started after this one connects at once (a refused connection is retried only after 5 s).
  await waitUntil(
    async () => /\bReady$/m.test(await daemon.log()) || !daemon.running,
    10_000,
    () => `${daemon.label} did not start`,
  );
  if (!daemon.running) throw new Error(`${daemon.label} exited at start\n${await daemon.diagnostics()}`);
  return daemon;
}

/** A tincd in the foreground (-D) in its node's namespace, with a log file of its own. Start it with startTincd. */
export class TincDaemon extends NetnsProcess {
  constructor(
    tincd: string,
    readonly node: TincNode,
    env: NodeJS.ProcessEnv,
    readonly logFile: string,
  ) {
    super(
      `tincd ${node.name}`,
      node.ns,
      tincd,
      ['-c', node.confbase, '-D', '-d1', `--pidfile=${join(node.confbase, 'tincd.pid')}`, `--logfile=${logFile}`],
      env,
    );
  }

  /** Its log file so far. */
  async log(): Promise<string> {
    return readFile(this.logFile, 'utf8').catch(() => '');
  }

  /** Its output and log, for failure messages. */
  async diagnostics(): Promise<string> {
    const log = (await this.log()) || '(no log)';
    return `--- ${this.label}: output (scripts' stdout and stderr)\n${this.output}\n--- ${this.label}: log\n${log}`;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The UDP echo on the "internet" host: answers every datagram with the source address it came from.

const ECHO_SERVER = `
const dgram = require('node:dgram');
const [address, port] = process.argv.slice(1);
const socket = dgram.createSocket('udp4');
socket.on('message', (_, from) => socket.send(from.address, from.port, from.address));
socket.bind(Number(port), address, () => console.log('ready'));
`;

const ECHO_PROBE = `
const dgram = require('node:dgram');
const [address, port] = process.argv.slice(1);
const socket = dgram.createSocket('udp4');
const send = () => socket.send('who am I?', Number(port), address);
socket.on('message', (text) => { process.stdout.write(String(text)); process.exit(0); });
socket.on('error', (e) => { process.stderr.write(e.message); process.exit(1); });
send();
setInterval(send, 300); // tinc may drop the first packets while it sets up a session key
setTimeout(() => { process.stderr.write('no answer'); process.exit(1); }, 4000);
`;

/** Starts the echo in a namespace and waits until it listens. */
export async function startUdpEcho(ns: string, address: string, port: number): Promise<NetnsProcess> {
  const echo = new NetnsProcess('udp echo', ns, process.execPath, ['-e', ECHO_SERVER, address, String(port)], {
    PATH: process.env.PATH,
  });
  await echo.waitForOutput(/ready/, 10_000);
  return echo;
}

/** Sends a datagram to the echo from a namespace; resolves with the source address the echo saw. */
export async function udpProbe(ns: string, address: string, port: number): Promise<string> {
  const { stdout } = await netnsExec(ns, process.execPath, ['-e', ECHO_PROBE, address, String(port)], {
    timeoutMs: 10_000,
  });
  return stdout.trim();
}

// ---------------------------------------------------------------------------------------------------------
// The topology

export const ADDRESSES = {
  clientLan: '192.168.1.2',
  lanGateway: '192.168.1.1',
  server: '198.51.100.10',
  internetHost: '203.0.113.7',
  peer: '192.0.2.20',
  serverVpn: '172.16.1.1',
  clientVpn: '172.16.2.2',
  peerVpn: '172.16.3.3',
} as const;

export const ECHO_PORT = 7777;

export interface TincWorld {
  tincd: string;
  ns: { client: string; router: string; server: string; inet: string; peer: string };
  client: TincNode;
  server: TincNode;
  peer: TincNode;
}

/** veth from `a` (named devA) to `b` (named devB), with addresses, up; optionally a default route in `a`. */
export async function wire(
  a: string,
  devA: string,
  cidrA: string,
  b: string,
  devB: string,
  cidrB: string,
  defaultVia?: string,
): Promise<void> {
  await ip(a, 'link', 'add', 'name', devA, 'type', 'veth', 'peer', 'name', devB, 'netns', b);
  await ip(a, 'address', 'add', cidrA, 'dev', devA);
  await ip(b, 'address', 'add', cidrB, 'dev', devB);
  await ip(a, 'link', 'set', devA, 'up');
  await ip(b, 'link', 'set', devB, 'up');
  if (defaultVia) await ip(a, 'route', 'add', 'default', 'via', defaultVia, 'dev', devA);
}

/**
 * Forwarding, and what leaves by `dev` from `from` masqueraded: the seed's "Further configuration" on the
 * server (its VPN's traffic out of eth0), or a home router's NAT.
 */
export async function forwardAndMasquerade(ns: string, dev = 'eth0', from = '172.16.0.0/16'): Promise<void> {
  await enableForwarding(ns);
  const nft = findProgram('nft');
  if (!nft) throw new Error('nft (nftables) is not installed: apt-get install nftables');
  await netnsExec(ns, nft, ['-f', '-'], {
    input: `table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${dev}" ip saddr ${from} masquerade
  }
}
`,
  });
}

/**
 * Builds the five namespaces, the three tinc configurations (client, server with Subnet = 0.0.0.0/0, peer),
 * the server's forwarding and masquerade (nftables, in its namespace only), and the echo; starts nothing of
 * tinc. Everything goes away with the test (createNetns, tempDir). A `bareServer` gets neither forwarding nor
 * masquerade nor `Subnet = 0.0.0.0/0`: what install-hook --server is to set up. `clientVpn`: the client's
 * VPN address (its tinc-up and its host file's Subnet).
 */
export async function createTincWorld(
  tincd: string,
  { bareServer = false, clientVpn = ADDRESSES.clientVpn as string } = {},
): Promise<TincWorld> {
  const ns = {
    client: await createNetns('tclient'),
    router: await createNetns('trouter'),
    server: await createNetns('tserver'),
    inet: await createNetns('tinet'),
    peer: await createNetns('tpeer'),
  };
  const A = ADDRESSES;
  await wire(ns.client, 'eth0', `${A.clientLan}/24`, ns.router, 'eth0', `${A.lanGateway}/24`, A.lanGateway);
  await wire(ns.server, 'eth0', `${A.server}/24`, ns.router, 'eth1', '198.51.100.1/24', '198.51.100.1');
  await wire(ns.inet, 'eth0', `${A.internetHost}/24`, ns.router, 'eth2', '203.0.113.1/24', '203.0.113.1');
  await wire(ns.peer, 'eth0', `${A.peer}/24`, ns.router, 'eth3', '192.0.2.1/24', '192.0.2.1');
  await enableForwarding(ns.router);
  if (!bareServer) await forwardAndMasquerade(ns.server);

  const server = await createTincNode(tincd, {
    name: 'server',
    ns: ns.server,
    vpnAddress: A.serverVpn,
    address: A.server,
    subnets: [`${A.serverVpn}/32`, ...(bareServer ? [] : ['0.0.0.0/0'])],
  });
  const client = await createTincNode(tincd, {
    name: 'client',
    ns: ns.client,
    vpnAddress: clientVpn,
    connectTo: ['server'],
  });
  const peer = await createTincNode(tincd, {
    name: 'peer',
    ns: ns.peer,
    vpnAddress: A.peerVpn,
    address: A.peer,
    connectTo: ['server'],
  });
  await shareHostFiles([server, client, peer]);
  return { tincd, ns, client, server, peer };
}
