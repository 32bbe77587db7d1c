import { followAlone, followerOf } from '../../redirect/index.js';
import { expectPositionals, parseFamily } from '../args.js';
import { NETNS_OPTION, optionValue, type Command } from '../command.js';
import { logInfo } from '../syslog.js';
import { checkUint } from '../../names.js';
import { checkHandoffDir, watchHandoff } from '../../tinc/index.js';
import { namespaceId, watchNamespaceNames } from '../../namespace-names.js';

export const follow: Command = {
  synopsis:
    'redirect-gateway follow IFACE [REMOTE] [--gateway IP]... [--family 4|6|both] [--netns NAME] [--handoff DIR]',
  help: `Keeps the redirect through IFACE right while the network changes, in the foreground (for a systemd
unit; \`up --follow\` and \`hook up --follow\` start it detached): a new default gateway, an uplink that
flaps, a deleted exception route, the VPN interface gone and back. Without REMOTE, follows the redirect
that \`up\` recorded (and its options). One per interface: exits at once when one already runs.
Logs each change to syslog and stdout; ends on SIGTERM or SIGINT (\`down\` sends it), and when its network
namespace is deleted (\`ip netns del\`: its last name under /run/netns gone).
  --gateway IP   switch style: the VPN gateway's address (once per family)
  --family F     4 (default), 6 or both
  --netns NAME   work inside a named network namespace
  --tincd-pid N  the tincd whose hook started it (recorded for a reconnect signal)
  --handoff DIR  also take in the mesh peers that host-up/host-down hand over there (install-hook --mesh --follow)`,
  options: {
    '--gateway': { value: true, repeat: true },
    '--family': { value: true },
    '--tincd-pid': { value: true },
    '--handoff': { value: true },
    ...NETNS_OPTION,
  },
  async run(parsed, output) {
    const [iface, remote] = expectPositionals(parsed, 1, 2, 'IFACE');
    const netns = optionValue(parsed, '--netns');
    const tincdText = optionValue(parsed, '--tincd-pid');
    const log = (line: string) => {
      logInfo(`follow ${line}`);
      output.out(line);
    };
    const dir = optionValue(parsed, '--handoff');
    if (dir !== undefined) checkHandoffDir(dir);
    const follower = await followAlone(iface, remote, {
      gateway: parsed.options.get('--gateway'),
      family: parseFamily(optionValue(parsed, '--family')),
      netns,
      tincd: tincdText === undefined ? undefined : checkUint(Number(tincdText), 'tincd pid'),
      log,
    });
    if (!follower) {
      const running = await followerOf(iface, { netns });
      output.out(`${iface}: a follower already runs${running ? ` (pid ${running.pid})` : ''}`);
      return;
    }
    const handoff =
      dir === undefined
        ? undefined
        : await watchHandoff(dir, iface, { netns, log }).catch(async (e: unknown) => {
            await follower.close();
            throw e;
          });
    log(`${iface}: following (pid ${process.pid})`);
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    let names: ReturnType<typeof watchNamespaceNames> | undefined;
    try {
      // Given --netns, its socket would keep a deleted namespace, and the devices in it, alive. (Started inside
      // the namespace, by the hook, it lives and ends with tincd's namespace as tincd does.)
      names = netns === undefined ? undefined : watchNamespaceNames(namespaceId(netns));
      const deleted = names?.deleted.then(() => log(`${iface}: its network namespace was deleted`));
      await Promise.race([stopped, follower.ended, ...(deleted ? [deleted] : [])]);
    } finally {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      names?.close();
      await handoff?.close();
      await follower.close();
    }
    log(`${iface}: no longer following`);
  },
};
