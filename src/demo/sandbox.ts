// The demo's throwaway sandbox: two network namespaces that reproduce the example of tinc's documentation.
//
//   client namespace                               lan namespace
//   eth0 192.168.1.2/24  <------- veth ------->  eth0 192.168.1.1/24 (the LAN's gateway)
//   default via 192.168.1.1
//   vpn  tun device, 172.16.2.2/32 (the VPN is 172.16.0.0/16; its server is 172.16.1.1)
//
// This scaffolding, and only this, uses iproute2 (spawned directly, no shell), also to send the demo's one probe
// datagram from inside the client (`ip netns exec` of node itself): the library itself never runs another program. Route reading and changes in the demo go through the library. Nothing here touches the host's
// own network namespace: every command names a namespace that this sandbox created.
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { RefusedError } from '../errors.js';

/** The seed's example, with a documentation address standing for the server's real one. */
export const SEED = {
  lanPrefix: '192.168.1.0/24',
  clientLan: '192.168.1.2',
  lanGateway: '192.168.1.1',
  lanDev: 'eth0',
  /** Where the client's default moves to when it roams (act 4): a new gateway on the same LAN. */
  roamGateway: '192.168.1.254',
  vpnDev: 'vpn',
  vpnPrefix: '172.16.0.0/16',
  clientVpn: '172.16.2.2',
  /** The VPN server's address on the VPN: the seed's VPN_GATEWAY. */
  vpnGateway: '172.16.1.1',
  /** The VPN server's real address: 198.51.100.10 (TEST-NET-2) stands for the seed's 192.0.32.10. */
  serverReal: '198.51.100.10',
  seedServerReal: '192.0.32.10',
} as const;

const COMMAND_TIMEOUT_MS = 10_000;
const SYSTEM_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

/** iproute2's `ip`, found in PATH or the usual places (sudo and minimal environments trim PATH). */
function findIp(): string {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...SYSTEM_DIRS]) {
    const path = join(dir, 'ip');
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  throw new RefusedError(
    'the demo builds its sandbox with iproute2, and `ip` was not found (apt-get install iproute2)',
  );
}

/**
 * Runs `ip ARGS...` (no shell). Each command gets a process group of its own (detached), so that a Ctrl-C
 * on the terminal reaches the demo, which then cleans up, and never kills a cleanup command half way.
 */
function ip(args: string[]): Promise<string> {
  const file = findIp();
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
    const fail = (why: string) => reject(new RefusedError(`the sandbox: ip ${args.join(' ')}: ${why}`));
    child.once('error', (e) => {
      clearTimeout(timer);
      fail(e.message);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else fail(stderr.trim() || (signal ? `killed by ${signal}` : `exit ${code}`));
    });
  });
}

/** One datagram; the send's callback says whether the kernel took it. */
const PROBE = `const socket = require('node:dgram').createSocket('udp4');
socket.send('probe', Number(process.argv[2]), process.argv[1], (e) => {
  console.log(e ? e.code : 'sent');
  socket.close();
});`;

export interface SandboxInfo {
  /** The client's namespace: the machine of the seed's tables. */
  client: string;
  /** The LAN's namespace, holding the gateway 192.168.1.1. */
  lan: string;
  /** 'tun', or 'veth' where this machine has no /dev/net/tun (a container, say). */
  vpnKind: 'tun' | 'veth';
}

export class Sandbox {
  /** The namespaces this sandbox created (and only those are ever deleted), in creation order. */
  readonly #created: string[] = [];
  #vpnKind: 'tun' | 'veth' = 'tun';

  private constructor(
    readonly client: string,
    readonly lan: string,
  ) {}

  /** Builds the sandbox; if any step fails, removes what was made and rethrows. */
  static async create(prefix = `rgdemo-${process.pid}`): Promise<Sandbox> {
    const sandbox = new Sandbox(`${prefix}-client`, `${prefix}-lan`);
    try {
      await sandbox.#build();
    } catch (e) {
      await sandbox.destroy().catch(() => undefined);
      throw e;
    }
    return sandbox;
  }

  get info(): SandboxInfo {
    return { client: this.client, lan: this.lan, vpnKind: this.#vpnKind };
  }

  async #addNamespace(name: string): Promise<void> {
    if (existsSync(`/run/netns/${name}`))
      throw new RefusedError(`a network namespace named ${name} exists already; not touching it`);
    await ip(['netns', 'add', name]);
    this.#created.push(name);
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
  }

  async #build(): Promise<void> {
    const { client, lan } = this;
    const s = SEED;
    await this.#addNamespace(client);
    await this.#addNamespace(lan);
    // The LAN: a veth pair made inside the client, its other end moved straight into the LAN's namespace.
    await ip(['-n', client, 'link', 'add', 'name', s.lanDev, 'type', 'veth', 'peer', 'name', s.lanDev, 'netns', lan]);
    await ip(['-n', client, 'address', 'add', `${s.clientLan}/24`, 'dev', s.lanDev]);
    await ip(['-n', lan, 'address', 'add', `${s.lanGateway}/24`, 'dev', s.lanDev]);
    await ip(['-n', lan, 'link', 'set', s.lanDev, 'up']);
    await ip(['-n', client, 'link', 'set', s.lanDev, 'up']);
    await ip(['-n', client, 'route', 'add', 'default', 'via', s.lanGateway, 'dev', s.lanDev]);
    // The VPN's interface, as tincd makes it; without /dev/net/tun, a veth pair stands in for it.
    try {
      await ip(['-n', client, 'tuntap', 'add', 'mode', 'tun', 'name', s.vpnDev]);
    } catch {
      this.#vpnKind = 'veth';
      await ip(['-n', client, 'link', 'add', 'name', s.vpnDev, 'type', 'veth', 'peer', 'name', s.vpnDev, 'netns', lan]);
    }
    // Only the client's own VPN address, as in the seed's tables: no route covers the VPN until `up` adds one
    // for the gateway.
    await ip(['-n', client, 'address', 'add', `${s.clientVpn}/32`, 'dev', s.vpnDev]);
    await ip(['-n', client, 'link', 'set', s.vpnDev, 'up']);
  }

  /**
   * What `kill -9` of tincd does to the client: no script runs, and the kernel deletes the tun device tincd held
   * (with the device's routes). The sandbox's tun device is a persistent one, so it is deleted here.
   */
  async vanishVpn(): Promise<void> {
    await ip(['-n', this.client, 'link', 'delete', SEED.vpnDev]);
  }

  /** Sends one UDP datagram from the client (node in its namespace): 'sent', or the errno code of the refusal. */
  async probe(address: string, port: number): Promise<string> {
    const out = await ip(['netns', 'exec', this.client, process.execPath, '-e', PROBE, address, String(port)]);
    return out.trim();
  }

  /** Deletes the namespaces this sandbox created (their links go with them). Idempotent; tries them all. */
  async destroy(): Promise<string[]> {
    const removed: string[] = [];
    const failures: string[] = [];
    while (this.#created.length > 0) {
      const name = this.#created.pop()!;
      try {
        await ip(['netns', 'delete', name]);
        removed.unshift(name);
      } catch (e) {
        if (existsSync(`/run/netns/${name}`)) failures.push(`${name}: ${(e as Error).message}`);
      }
    }
    if (failures.length) {
      throw new RefusedError(
        `could not remove the sandbox (remove it with ip netns delete NAME): ${failures.join('; ')}`,
      );
    }
    return removed;
  }
}
