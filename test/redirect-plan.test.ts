// The planner alone: pure, so its decisions are checked directly, without a kernel.
import { describe, expect, it } from 'vitest';
import type { Route } from '../src/index.js';
import { planDown, planUp, type UpInput } from '../src/redirect/plan.js';

const P = 157;
const route = (dst: string, dev: string, gateway?: string): Route => ({
  family: dst.includes(':') ? 6 : 4,
  table: 'main',
  dst,
  gateway,
  dev,
  metric: dst.includes(':') ? 1024 : undefined,
  protocol: 'redirect-gateway',
  scope: gateway ? 'global' : 'link',
  type: 'unicast',
});
const input = (over: Partial<UpInput> = {}): UpInput => ({
  iface: 'vpn',
  families: [4],
  gateways: {},
  gatewayNeedsRoute: [],
  protocol: P,
  owned: [],
  exceptions: [{ dst: '198.51.100.10/32', gateway: '192.168.1.1', dev: 'eth0' }],
  ...over,
});
const summary = (steps: ReturnType<typeof planUp>) => steps.map((s) => `${s.change.op} ${s.change.route.dst}`);
const current = [
  route('198.51.100.10/32', 'eth0', '192.168.1.1'),
  route('0.0.0.0/1', 'vpn'),
  route('128.0.0.0/1', 'vpn'),
];

describe('planUp', () => {
  it('adds the exception first, then the halves, each undone by a delete', () => {
    const steps = planUp(input());
    expect(summary(steps)).toEqual(['add 198.51.100.10/32', 'add 0.0.0.0/1', 'add 128.0.0.0/1']);
    expect(steps.every((s) => s.undo.op === 'delete' && s.undo.route.dst === s.change.route.dst)).toBe(true);
    expect(steps.every((s) => s.change.route.protocol === P)).toBe(true);
  });

  it('plans nothing when the kernel already shows the wanted routes', () => {
    expect(planUp(input({ owned: current }))).toEqual([]);
  });

  it('moves the exception to a new server: the new one added before the old one goes', () => {
    const steps = planUp(
      input({ owned: current, exceptions: [{ dst: '203.0.113.9/32', gateway: '192.168.1.1', dev: 'eth0' }] }),
    );
    expect(summary(steps)).toEqual(['add 203.0.113.9/32', 'delete 198.51.100.10/32']);
    expect(steps[1].undo).toMatchObject({
      op: 'add',
      route: { dst: '198.51.100.10/32', gateway: '192.168.1.1', dev: 'eth0' },
    });
  });

  it('switch style: the gateway host route before the halves, which are replaced in place', () => {
    const steps = planUp(input({ owned: current, gateways: { 4: '172.16.1.1' }, gatewayNeedsRoute: [4] }));
    expect(summary(steps)).toEqual(['add 172.16.1.1', 'replace 0.0.0.0/1', 'replace 128.0.0.0/1']);
    expect(steps[1].undo).toMatchObject({ op: 'replace', route: { dst: '0.0.0.0/1', dev: 'vpn' } });
    expect(steps[1].undo.route.gateway).toBeUndefined();
  });

  it('both families: IPv6 halves too', () => {
    expect(summary(planUp(input({ families: [4, 6], exceptions: [] })))).toEqual([
      'add 0.0.0.0/1',
      'add 128.0.0.0/1',
      'add ::/1',
      'add 8000::/1',
    ]);
  });
});

describe('planDown', () => {
  it('deletes the halves first, matching our protocol, so the original default route takes over at once', () => {
    const steps = planDown([current[0], current[1], current[2]]);
    expect(summary(steps)).toEqual(['delete 0.0.0.0/1', 'delete 128.0.0.0/1', 'delete 198.51.100.10/32']);
    expect(steps.every((s) => s.change.route.protocol === 'redirect-gateway')).toBe(true);
  });

  it('plans nothing for nothing', () => {
    expect(planDown([])).toEqual([]);
  });
});
