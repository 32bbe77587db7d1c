// The lockdown's plan (pure): which networks count as private, what each LAN policy lets through, and the order
// of the rules (first match wins: the VPN and tinc before the refusals, DNS refused before the LAN).
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../src/address.js';
import { isPrivate, planLockdown, type LockdownView } from '../src/redirect/lockdown/plan.js';
import { halvesOf, LAN_METRIC, planLanRoutes, type LanRoutesView } from '../src/redirect/lockdown/lan-routes.js';

describe('the lockdown plan', () => {
  it('counts RFC 1918, 169.254/16, fc00::/7 and fe80::/10 as private, nothing else', () => {
    const privateOnes = ['10.1.0.0/16', '172.16.0.0/12', '172.31.255.0/24', '192.168.1.0/24', '169.254.0.0/16'];
    const v6 = ['fd00:1::/64', 'fc00::/7', 'fe80::/64'];
    const publicOnes = ['172.32.0.0/16', '172.0.0.0/8', '8.0.0.0/8', '203.0.113.0/24', '100.64.0.0/10', '10.0.0.0/7'];
    const public6 = ['2001:db8::/32', 'fe00::/9', '::/0'];
    expect([...privateOnes, ...v6].filter((p) => !isPrivate(p))).toEqual([]);
    expect([...publicOnes, ...public6].filter(isPrivate)).toEqual([]);
  });

  const view: LockdownView = {
    vpn: 'vpn',
    lan: 'private',
    servers: [parseAddress('198.51.100.10'), parseAddress('198.51.100.10')],
    port: 655,
    connected: [
      { dev: 'eth0', prefix: '192.168.1.0/24' },
      { dev: 'wlan0', prefix: '203.0.113.0/24' },
      { dev: 'eth0', prefix: 'fe80::/64' },
    ],
    gateways: [{ dev: 'eth0', address: parseAddress('192.168.1.1') }],
  };
  const lanRules = (v: LockdownView) => planLockdown(v).filter((r) => r.daddr && r.daddr !== '198.51.100.10');

  it('lets the LAN through as its policy says, each network out of its own interface', () => {
    const gateway = { family: 4, oif: 'eth0', daddr: '192.168.1.1', verdict: 'accept' };
    const lan = (dev: string, daddr: string, family = 4) => ({ family, oif: dev, daddr, verdict: 'accept' });
    expect(lanRules(view)).toEqual([lan('eth0', '192.168.1.0/24'), lan('eth0', 'fe80::/64', 6), gateway]);
    expect(lanRules({ ...view, lan: 'allow' })).toEqual([
      lan('eth0', '192.168.1.0/24'),
      lan('wlan0', '203.0.113.0/24'),
      lan('eth0', 'fe80::/64', 6),
    ]);
    expect(lanRules({ ...view, lan: 'block' })).toEqual([gateway]);
  });

  it('accepts the VPN and tinc first, refuses DNS before the LAN, and ends in the refusals', () => {
    const rules = planLockdown(view);
    expect(rules.slice(0, 4)).toEqual([
      { oif: 'lo', verdict: 'accept' },
      { oif: 'vpn', verdict: 'accept' },
      { family: 4, daddr: '198.51.100.10', protocol: 'tcp', dport: 655, verdict: 'accept' },
      { family: 4, daddr: '198.51.100.10', protocol: 'udp', dport: 655, verdict: 'accept' }, // once, not twice
    ]);
    const dns = rules.findIndex((r) => r.dport === 53);
    const firstLan = rules.findIndex((r) => r.daddr === '192.168.1.0/24');
    expect(dns).toBeGreaterThan(3);
    expect(dns).toBeLessThan(firstLan);
    expect(rules.slice(-2)).toEqual([{ protocol: 'tcp', verdict: 'reject' }, { verdict: 'reject' }]);
  });
});

describe('the LAN routes through the VPN', () => {
  const view: LanRoutesView = {
    vpn: 'vpn',
    lan: 'private',
    vpnGateways: { 4: '172.16.1.1' },
    connected: [
      { dev: 'eth0', prefix: '203.0.113.0/24' },
      { dev: 'eth0', prefix: '192.168.1.0/24' },
      { dev: 'eth0', prefix: '2001:db8:1::/64' },
      { dev: 'eth0', prefix: 'fe80::/64' },
      { dev: 'eth1', prefix: '198.51.100.4/31' },
    ],
    gateways: [{ dev: 'eth0', address: parseAddress('203.0.113.1') }],
    protocol: 157,
  };

  it('splits what the policy keeps from the LAN, not link-local nor what is too long, and keeps the gateway', () => {
    const common = { protocol: 157, metric: LAN_METRIC };
    expect(planLanRoutes(view)).toEqual([
      { dst: '203.0.113.1', dev: 'eth0', scope: 'link', ...common },
      { dst: '203.0.113.0/25', dev: 'vpn', gateway: '172.16.1.1', ...common },
      { dst: '203.0.113.128/25', dev: 'vpn', gateway: '172.16.1.1', ...common },
      { dst: '2001:db8:1::/65', dev: 'vpn', ...common },
      { dst: '2001:db8:1:0:8000::/65', dev: 'vpn', ...common },
    ]);
    expect(planLanRoutes({ ...view, lan: 'block' }).map((r) => r.dst)).toContain('192.168.1.128/25');
    expect(planLanRoutes({ ...view, lan: 'allow' })).toEqual([]);
  });

  it('has no halves for prefixes too long to split', () => {
    expect(['10.0.0.0/30', '10.0.0.0/31', '2001:db8::/127'].map(halvesOf)).toEqual([
      ['10.0.0.0/31', '10.0.0.2/31'],
      [],
      [],
    ]);
  });
});
