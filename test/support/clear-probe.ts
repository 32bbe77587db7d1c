// Probes of what leaves a client in clear: an echo on the far side (the "server's" real address, the LAN's
// router, an internet host) that prints every datagram and connection it gets with its tag, and one-shot probes
// from the client that say how their socket fared (a reply, or the errno the kernel gave) and tag what they send.
import { netnsExec } from './netns.js';
import { NetnsProcess } from './tinc.js';

/** Listens on UDP and TCP, IPv4 and IPv6, on every port given; prints `PROTO PORT TAG` for each arrival. */
const ECHO = String.raw`
import selectors, socket, struct, sys, time
ports, ms = [int(p) for p in sys.argv[1].split(',')], int(sys.argv[2])
sel = selectors.DefaultSelector()
for port in ports:
    for family, any in ((socket.AF_INET, '0.0.0.0'), (socket.AF_INET6, '::')):
        u = socket.socket(family, socket.SOCK_DGRAM)
        t = socket.socket(family, socket.SOCK_STREAM)
        for s in (u, t):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6: s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((any, port))
        if family == socket.AF_INET: u.setsockopt(socket.IPPROTO_IP, 8, 1)  # IP_PKTINFO
        else: u.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
        t.listen(16)
        sel.register(u, selectors.EVENT_READ, ('udp', port))
        sel.register(t, selectors.EVENT_READ, ('tcp', port))

def reply_from(level, kind, info):
    if level == socket.IPPROTO_IP: return (level, kind, struct.pack('=i4s4s', 0, info[8:12], bytes(4)))
    return (level, kind, info[:16] + bytes(4))
print('ready', flush=True)
end = time.time() + ms / 1000
while time.time() < end:
    for key, _ in sel.select(0.1):
        proto, port = key.data
        if proto == 'udp':
            # Answered from the address it was sent to (the probe's socket is connected to that one).
            data, anc, _, peer = key.fileobj.recvmsg(512, 256)
            key.fileobj.sendmsg([data], [reply_from(level, kind, info) for level, kind, info in anc], 0, peer)
        else:
            conn, peer = key.fileobj.accept()
            conn.settimeout(1)
            try: data = conn.recv(512)
            except OSError: data = b'?'
            conn.close()
        print(proto, port, data.decode(errors='replace'), flush=True)
`;

/**
 * One probe: `PROTO FAMILY ADDRESS PORT TAG [DEVICE] [SPORT]`; prints `reply`/`connected`, `silent` (no answer
 * within a second) or the errno's name the kernel gave, then the milliseconds it took.
 */
const PROBE = String.raw`
import errno, socket, sys, time
proto, family, address, port, tag = sys.argv[1:6]
device = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] else None
sport = int(sys.argv[7]) if len(sys.argv) > 7 else 0
fam = socket.AF_INET6 if family == '6' else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM if proto == 'udp' else socket.SOCK_STREAM)
if device: s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
if sport:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('::' if fam == socket.AF_INET6 else '0.0.0.0', sport))
s.settimeout(1)
start = time.time()
try:
    s.connect((address, int(port)))
    s.send(tag.encode())
    if proto == 'udp':
        s.recv(512)
        outcome = 'reply'
    else:
        outcome = 'connected'
except socket.timeout:
    outcome = 'silent'
except OSError as e:
    outcome = errno.errorcode.get(e.errno, str(e.errno))
print(outcome, round((time.time() - start) * 1000))
`;

export interface Probe {
  proto: 'udp' | 'tcp';
  address: string;
  port: number;
  /** SO_BINDTODEVICE to this interface. */
  device?: string;
  sport?: number;
}

export interface ProbeResult {
  /** 'reply', 'connected', 'silent' or an errno name ('ECONNREFUSED', 'EHOSTUNREACH', 'EACCES', ...). */
  outcome: string;
  ms: number;
}

/** Starts the echo in a namespace (it ends by itself after `boundMs`) and waits until it listens. */
export async function startEcho(ns: string, ports: number[], boundMs = 60_000): Promise<NetnsProcess> {
  const echo = new NetnsProcess('echo', ns, 'python3', ['-c', ECHO, ports.join(','), String(boundMs)], {
    PATH: process.env.PATH,
  });
  await echo.waitForOutput(/ready/);
  return echo;
}

/** Sends one probe from the namespace, tagged so the echo's output names it. */
export async function probe(ns: string, p: Probe, tag: string): Promise<ProbeResult> {
  const family = p.address.includes(':') ? '6' : '4';
  const args = ['-c', PROBE, p.proto, family, p.address, String(p.port), tag, p.device ?? '', String(p.sport ?? 0)];
  const [outcome, ms] = (await netnsExec(ns, 'python3', args)).stdout.trim().split(' ');
  return { outcome, ms: Number(ms) };
}

/** The tags of what reached the echo. */
export function arrivals(echo: NetnsProcess): string[] {
  return echo.output
    .split('\n')
    .filter((l) => /^(udp|tcp) \d+ /.test(l))
    .map((l) => l.split(' ').slice(2).join(' '));
}
