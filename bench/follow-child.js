// The follower of bench/follow.js, in a process of its own (its CPU and RSS are its own, the watch's reader
// thread included): redirect.follow() on `vpn` in NETNS, one JSON line per change it makes ({ us, line }, us on
// the monotonic clock every process shares), and on each line read from stdin one JSON line of its CPU time and
// RSS so far.
// usage: node bench/follow-child.js NETNS SERVER
import { createInterface } from 'node:readline';
import { loadPackage, nowUs } from './lib-min.js';

const [netns, server] = process.argv.slice(2);
const { redirect } = await loadPackage();
const follower = await redirect.follow('vpn', server, {
  netns,
  log: (line) => console.log(JSON.stringify({ us: nowUs(), line })),
});
const rssMb = () => process.memoryUsage.rss() / 2 ** 20;
console.log(JSON.stringify({ ready: true }));
for await (const _ of createInterface({ input: process.stdin })) {
  const cpu = process.cpuUsage();
  console.log(JSON.stringify({ cpuUs: cpu.user + cpu.system, rssMb: rssMb() }));
}
await follower.close();
