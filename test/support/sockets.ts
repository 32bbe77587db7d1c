// Sockets for the socket-diagnostics tests: holders (small Python programs in a namespace that make a socket,
// say "ready", and report how the socket ended) and the oracle, ss(8) run inside the namespace.
import type { SocketInfo, SocketState } from '../../src/netlink/index.js';
import { defer } from './cleanup.js';
import { start, type Running } from './exec.js';
import { netnsExec } from './netns.js';
import { waitUntil } from './tinc.js';

// tcp-server ADDR PORT: accepts and keeps every connection. tcp-client ADDR PORT [BIND]: connects (from BIND) and
// blocks in recv. udp ADDR PORT [PEER PEERPORT]: binds (and connects) and blocks in recv. A blocked recv that
// fails prints "closed ERRNO"; "ready LOCALPORT" once the socket is made. HOLDER_UID: setuid first.
const HOLDER = `
import os, socket, sys
kind, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if os.environ.get('HOLDER_UID'): os.setuid(int(os.environ['HOLDER_UID']))
fam = socket.AF_INET6 if ':' in addr else socket.AF_INET
def say(text): print(text, flush=True)
if kind == 'tcp-server':
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.bind((addr, port)); s.listen(16); say('ready %d' % port); held = []
    while True: held.append(s.accept()[0])
s = socket.socket(fam, socket.SOCK_STREAM if kind == 'tcp-client' else socket.SOCK_DGRAM)
if kind == 'tcp-client':
    if len(sys.argv) > 4: s.bind((sys.argv[4], 0))
    s.connect((addr, port))
else:
    s.bind((addr, port))
    if len(sys.argv) > 4: s.connect((sys.argv[4], int(sys.argv[5])))
say('ready %d' % s.getsockname()[1])
try:
    s.recv(100); say('closed eof')
except OSError as e:
    say('closed %d' % e.errno)
`;

export interface Holder {
  running: Running;
  /** The socket's local port. */
  port: number;
  /** "closed ERRNO" (or "closed eof") once its blocked recv has ended; undefined before. */
  closed(): string | undefined;
}

export async function startHolder(ns: string, args: string[], uid?: number): Promise<Holder> {
  const env = uid === undefined ? process.env : { ...process.env, HOLDER_UID: String(uid) };
  const running = start('ip', ['netns', 'exec', ns, 'python3', '-c', HOLDER, ...args], { env, timeoutMs: null });
  defer(() => running.child.kill('SIGKILL'));
  await waitUntil(
    () => /^ready \d+$/m.test(running.stdout),
    10_000,
    () => `holder ${args}: ${running.output}`,
  );
  const port = Number(/^ready (\d+)$/m.exec(running.stdout)![1]);
  return { running, port, closed: () => /^closed .*$/m.exec(running.stdout)?.[0] };
}

/** "192.0.2.1:80", "[fd00::1]:80", "0.0.0.0:*", "[::]:*", "*:80" (as ss prints them) to an endpoint. */
function endpoint(text: string, family: 4 | 6): SocketInfo['local'] {
  const colon = text.lastIndexOf(':');
  let address = text
    .slice(0, colon)
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '');
  if (address === '*') address = family === 4 ? '0.0.0.0' : '::';
  const port = text.slice(colon + 1);
  return { address, port: port === '*' ? 0 : Number(port) };
}

/** ss -H -tanpe / -uanpe -4 / -6 inside the namespace (plus an ss filter expression), as SocketInfo. */
export async function ssSockets(
  ns: string,
  family: 4 | 6,
  protocol: 'tcp' | 'udp',
  ...expression: string[]
): Promise<SocketInfo[]> {
  const flags = `-H${protocol === 'tcp' ? 't' : 'u'}anpe${family}`;
  const { stdout } = await netnsExec(ns, 'ss', [flags, ...expression]);
  return stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [state, , , local, remote] = line.trim().split(/\s+/);
      return {
        family,
        protocol,
        local: endpoint(local, family),
        remote: endpoint(remote, family),
        state: state as SocketState,
        inode: Number(/ ino:(\d+)/.exec(line)?.[1] ?? 0),
        uid: Number(/ uid:(\d+)/.exec(line)?.[1] ?? 0),
      };
    });
}

/** Every TCP and UDP socket of the namespace by ss, IPv4 first: the order of listSockets(). */
export async function ssAll(ns: string): Promise<SocketInfo[]> {
  const all: SocketInfo[] = [];
  for (const family of [4, 6] as const) {
    for (const protocol of ['tcp', 'udp'] as const) all.push(...(await ssSockets(ns, family, protocol)));
  }
  return all;
}

/** A stable order for comparing sets of sockets. */
export function sortSockets(sockets: SocketInfo[]): SocketInfo[] {
  const key = (s: SocketInfo) => `${s.family} ${s.protocol} ${s.inode} ${s.local.address} ${s.local.port}`;
  return [...sockets].sort((a, b) => key(a).localeCompare(key(b)));
}
