// Adds N routes of the benchmark table in a process of its own (for its time and peak RSS), with
// bulkChange over a generator (`bulk`) or changeRoutes over an array (`array`).
// usage: node bench/bulk-child.js NETNS N bulk|array
import { loadPackage } from './lib-min.js';

const [netns, countText, mode] = process.argv.slice(2);
const count = Number(countText);
const { netlink } = await loadPackage();
const gateways = ['192.168.0.1', '192.168.0.11', '192.168.0.12', '192.168.0.13'];
function* changes() {
  for (let i = 0; i < count; i++) {
    const v = (10 << 24) | (i << 4);
    const dst = `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 240}/28`;
    yield { op: 'add', route: { dst, gateway: gateways[i & 3], dev: 'up0', protocol: 'bgp' } };
  }
}
const nl = await netlink.open({ netns });
if (mode === 'array') {
  const results = await nl.changeRoutes([...changes()]);
  const failed = results.filter((r) => r.error);
  if (failed.length) throw failed[0].error;
} else {
  const result = await nl.bulkChange(changes());
  if (result.failed) throw result.failures[0].error;
}
nl.close();
