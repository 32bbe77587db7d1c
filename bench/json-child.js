// The streaming JSON writer that `redirect-gateway routes --json` now uses, without the CLI around it (the
// CLI adopted it from here): routeBatches() written batch by batch, byte for byte the output of
// JSON.stringify(list, null, 2) (checked by bench/listing.js), with stdout's backpressure respected.
// usage: node bench/json-child.js NETNS
import { loadPackage } from './lib-min.js';

const [netns] = process.argv.slice(2);
const { netlink } = await loadPackage();

// The CLI's own formatter: ip -j's object of a route, as JSON.stringify(list, null, 2) puts it in a list.
const { ipRouteJsonInList: routeJson } = await import('../dist/cli/route-json.js');

const nl = await netlink.open({ netns });
const out = process.stdout;
const write = (text) => (out.write(text) ? undefined : new Promise((resolve) => out.once('drain', resolve)));
let first = true;
for await (const batch of nl.routeBatches({ family: 4, batchSize: 4096 })) {
  let text = first ? '[\n' : ',\n';
  for (let i = 0; i < batch.length; i++) text += (i ? ',\n' : '') + routeJson(batch[i]);
  first = false;
  await write(text);
}
await write(first ? '[]\n' : '\n]\n');
nl.close();
