// Leak probes for the kill-switch tests: a bounded UDP listener on the "internet" host that prints the source
// and phase of every datagram (through the VPN the source is the server's, masqueraded; in clear the client's
// own), and a sender in the client naming its phase.
import { NetnsProcess } from './tinc.js';

/** Prints `SOURCE PHASE` for each datagram; exits by itself after its bound. */
const COUNTER = `
const dgram = require('node:dgram');
const [address, port, ms] = process.argv.slice(1);
const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
socket.on('message', (text, from) => console.log(from.address + ' ' + text));
socket.bind(Number(port), address, () => console.log('ready'));
setTimeout(() => process.exit(0), Number(ms));
`;

/** Sends a datagram naming the phase every 20 ms for `ms`; a refused send (the kill switch) is no failure. */
export const SENDER = `
const dgram = require('node:dgram');
const [address, port, phase, ms] = process.argv.slice(1);
const socket = dgram.createSocket('udp4');
socket.on('error', () => {});
const timer = setInterval(() => socket.send(phase, Number(port), address, () => {}), 20);
setTimeout(() => { clearInterval(timer); socket.close(); }, Number(ms));
`;

/**
 * Sends a datagram naming the phase to each ADDRESS,PORT target every millisecond, until SIGTERM or for `ms` at
 * most, then prints `sent N` (rounds; `ready` once it sends, `at N` every ten rounds): a stream dense enough to
 * catch a gap of a few milliseconds in the refusals.
 */
export const STREAM = `
const dgram = require('node:dgram');
const [phase, ms, ...targets] = process.argv.slice(1);
const sockets = targets.map((t) => {
  const [address, port] = t.split(',');
  const socket = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  socket.on('error', () => {});
  return { socket, address, port: Number(port) };
});
let sent = 0;
const timer = setInterval(() => {
  for (const s of sockets) s.socket.send(phase, s.port, s.address, () => {});
  if (++sent % 10 === 0) console.log('at ' + sent);
}, 1);
const end = () => { clearInterval(timer); console.log('sent ' + sent); process.exit(0); };
process.on('SIGTERM', end);
setTimeout(end, Number(ms));
console.log('ready');
`;

/** The rounds a STREAM has reported sending so far (its last `at N`). */
export function streamRounds(output: string): number {
  return Number([...output.matchAll(/^at (\d+)$/gm)].pop()?.[1] ?? 0);
}

/** Starts the counter in a namespace (it ends by itself after `boundMs`) and waits until it listens. */
export async function startCounter(ns: string, address: string, port: number, boundMs: number) {
  const counter = new NetnsProcess(
    'counter',
    ns,
    process.execPath,
    ['-e', COUNTER, address, String(port), String(boundMs)],
    { PATH: process.env.PATH },
  );
  await counter.waitForOutput(/ready/);
  return counter;
}

/** The sources of the phase's datagrams the counter heard, in order. */
export function phaseSources(counter: NetnsProcess, phase: string): string[] {
  return counter.output
    .split('\n')
    .filter((l) => l.endsWith(` ${phase}`))
    .map((l) => l.split(' ')[0]);
}
