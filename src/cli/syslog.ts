// The hook's log: syslog (daemon facility, tag redirect-gateway) through the addon, as tincd's own log is.
import { addon } from '../netlink/native.js';

const LOG_ERR = 3;
const LOG_INFO = 6;

export function logInfo(text: string): void {
  addon.syslog(LOG_INFO, text);
}

export function logError(text: string): void {
  addon.syslog(LOG_ERR, text);
}
