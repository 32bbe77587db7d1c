// What `redirect-gateway routes --json` could be (a proposal for src/cli, measured here): the table
// streamed with routeBatches() and written batch by batch, byte for byte the output of
// JSON.stringify(list, null, 2) (checked by bench/listing.js), with stdout's backpressure respected.
// Memory stays that of a batch; a formatter made for the Route shape replaces the generic JSON.stringify.
// usage: node bench/json-child.js NETNS
import { loadPackage } from './lib-min.js';

const [netns] = process.argv.slice(2);
const { netlink } = await loadPackage();

// JSON.stringify(route, null, 2) inside a list, for the Route shape (keys in its order, undefined ones
// left out). Addresses and iproute2's names need no escaping; anything else goes through JSON.stringify.
const quoted = new Map();
const q = (s) => {
  let t = quoted.get(s);
  if (t === undefined) {
    t = JSON.stringify(s);
    if (quoted.size < 10000) quoted.set(s, t);
  }
  return t;
};
function routeJson(r) {
  let s = `  {\n    "family": ${r.family},\n    "table": ${typeof r.table === 'number' ? r.table : q(r.table)},\n    "dst": "${r.dst}"`;
  if (r.gateway !== undefined) s += `,\n    "gateway": "${r.gateway}"`;
  if (r.dev !== undefined) s += `,\n    "dev": ${q(r.dev)}`;
  if (r.metric !== undefined) s += `,\n    "metric": ${r.metric}`;
  s += `,\n    "protocol": ${q(r.protocol)},\n    "scope": ${q(r.scope)},\n    "type": ${q(r.type)}`;
  if (r.prefsrc !== undefined) s += `,\n    "prefsrc": "${r.prefsrc}"`;
  return `${s}\n  }`;
}

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
