// The hook's log: syslog (daemon facility, tag redirect-gateway), as tincd's own log is.
import { LOG_ERR, LOG_INFO, syslog } from '../netlink/host.js';

export function logInfo(text: string): void {
  syslog(LOG_INFO, text);
}

export function logError(text: string): void {
  syslog(LOG_ERR, text);
}
