// The state directory, /run/redirect-gateway: one safe reader, one atomic writer and the namespace's lock, for
// the redirect, the server side, the follower's file and the mesh handoff.
export {
  ensureDir,
  ensureStateDir,
  INTENT_DIR,
  isOurs,
  MESH_DIR,
  namespaceEntries,
  namespaceKey,
  removeNamespaceFiles,
  STATE_DIR,
  statePath,
} from './dir.js';
export { readFileNoFollow, removeFile, writeJson } from './file.js';
export { namesWithSuffix } from './listing.js';
export { lockNamespace, lockPath, tryLockFile, tryLockOurs, withLock } from './lock.js';
export { unlock } from '../netlink/host.js';
