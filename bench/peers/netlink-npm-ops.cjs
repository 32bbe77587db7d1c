// The npm `netlink` package (0.3), single operations in process, run inside the namespace: a route
// lookup, and an add + delete of one route. Prints {"getUs", "addDelUs"} (medians).
// usage: ip netns exec NETNS node netlink-npm-ops.cjs N     (NODE_PATH: its temporary install)
const { createRtNetlink } = require('netlink');

const n = Number(process.argv[2]);
const now = () => Number(process.hrtime.bigint()) / 1000;
async function measure(f) {
  for (let i = 0; i < Math.max(1, n / 10); i++) await f();
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = now();
    await f();
    times.push(now() - t);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}
(async () => {
  const rt = createRtNetlink();
  const links = await rt.getLinks();
  const vpn = links.find((l) => l.attrs.ifname === 'vpn').data.index;
  const route = { family: 2, dstLen: 24, table: 254, protocol: 'BOOT', scope: 'LINK', type: 'UNICAST' };
  const attrs = { dst: Buffer.from([10, 9, 0, 0]), oif: vpn };
  const getUs = await measure(() => rt.getRoute({ family: 2, dstLen: 32 }, { dst: Buffer.from([198, 51, 100, 7]) }));
  const addDelUs = await measure(async () => {
    await rt.newRoute(route, attrs, { flags: 0x400 | 0x200 });
    await rt.delRoute({ family: 2, dstLen: 24, table: 254, scope: 'NOWHERE' }, attrs);
  });
  rt.socket.close();
  console.log(JSON.stringify({ getUs, addDelUs }));
})();
