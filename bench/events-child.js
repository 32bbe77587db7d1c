// The consumer of bench/events.js, in a process of its own so that its CPU time is its own: watches the
// namespace's changes (MODE `all`: no filter; `kernel`: only routes through the tun device `vpn`, which the
// flood's routes never use, as a kernel-side filter, keepRoutesFor; `idle`: IPv6 only, so the kernel never
// queues the IPv4 flood to it), counts what reaches JS, and when a route to SENTINEL arrives prints one JSON
// line (and exits): events delivered, overruns, interesting routes seen, its CPU time since it said `ready`.
// usage: node bench/events-child.js NETNS all|kernel|idle INTERESTING SENTINEL
import { loadPackage, nowUs } from './lib-min.js';

const [netns, mode, interesting, sentinel] = process.argv.slice(2);
const { netlink } = await loadPackage();
const nl = await netlink.open({ netns });
const FILTERS = { all: {}, kernel: {}, idle: { family: 6 } };
const events = nl.watch(FILTERS[mode]);
if (mode === 'kernel' && !events.keepRoutesFor({ addresses: [], dev: 'vpn' })) throw new Error('no kernel filter');
const cpuStart = process.cpuUsage();
console.log('ready');
let delivered = 0;
let overruns = 0;
let seen = 0;
let lastFloodUs = 0;
for await (const e of events) {
  if (e.type === 'overrun') {
    overruns++;
    continue;
  }
  if (e.type === 'route' && e.route.dst === sentinel) break;
  delivered++;
  if (e.type === 'route' && e.route.dst === interesting) seen++;
  lastFloodUs = nowUs();
}
const cpu = process.cpuUsage(cpuStart);
events.close();
nl.close();
console.log(
  JSON.stringify({
    delivered,
    overruns,
    interesting: seen,
    lastFloodUs,
    cpuUs: cpu.user + cpu.system,
    sysUs: cpu.system,
  }),
);
