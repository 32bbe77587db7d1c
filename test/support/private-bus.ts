// A dbus-daemon of a test's own, never the host's: its configuration listens on a socket in a test directory and
// takes EXTERNAL authentication only; the policies are the caller's (systemd-resolved's, systemd-networkd's).

/** The bus configuration: `policies` are its <policy> elements. */
export function busConfig(socket: string, policies: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
${policies}</busconfig>
`;
}
