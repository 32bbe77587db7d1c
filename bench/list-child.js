// One listing in a process of its own, so that its peak RSS is the listing's: prints
// `{"ms": in-process time, "count": routes, "rssMb": peak RSS}`.
// usage: node bench/list-child.js NETNS array|stream
import { loadPackage, nowUs, peakRssMb } from './lib-min.js';

const [netns, mode] = process.argv.slice(2);
const { netlink } = await loadPackage();
const nl = await netlink.open({ netns });
const t = nowUs();
let count = 0;
if (mode === 'stream') {
  for await (const route of nl.routes({ family: 4 })) if (route.dst) count++;
} else {
  count = (await nl.listRoutes({ family: 4 })).length;
}
const ms = (nowUs() - t) / 1000;
nl.close();
console.log(JSON.stringify({ ms, count, rssMb: peakRssMb() }));
