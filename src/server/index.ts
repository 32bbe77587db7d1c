// The VPN server's side: forwarding and masquerading of the clients (serve), undone exactly (unserve).
export { serve, unserve, type ServeResult } from './serve.js';
export { status, type ServerStatus } from './status.js';
export type { ServeOptions, ServerOptions } from './options.js';
