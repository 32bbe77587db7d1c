// tinc's side of the product, for cli/: the hook's environment and interface, install-hook's files and checks,
// and both halves of the mesh handoff (the host scripts' shell part, and the follower's).
export { confbaseOf, readServerConfig, readTincFile } from './config.js';
export { eventOfScriptName, readHookEnv, type HookEnv, type HookEvent } from './hook-env.js';
export { addSubnetLines, missingSubnetLines } from './host-subnets.js';
export {
  checkScripts,
  cliCommand,
  hookScript,
  isOurs,
  removeScripts,
  writeScripts,
  type HookScript,
  type Written,
} from './install.js';
export { handoffDir, handoffScript } from './mesh-handoff.js';
export { checkHandoffDir, watchHandoff } from './mesh-handoff-follower.js';
export { expectSafeDirectory } from './safe-directory.js';
export { brokenScripts, fragileLocations, goneExecutables } from './script-executable.js';
export { serverEndpoint } from './server-endpoint.js';
export { clientTincScripts, serverTincScripts } from './tinc-scripts.js';
export { tincdAncestor } from './tincd-pid.js';
export { parseVpnAddresses, type VpnAddress } from './vpn-addresses.js';
export { bringUp, removeAddresses } from './vpn-interface.js';
