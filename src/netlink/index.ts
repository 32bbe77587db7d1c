export { open, RouteSocket, type OpenOptions } from './socket.js';
export { REDIRECT_GATEWAY_PROTOCOL } from './constants.js';
export type * from './types.js';
