// The rules strategy's planner and the kill switch's DNS rules alone: pure, so their order and idempotence are checked directly.
import { describe, expect, it } from 'vitest';
import type { Route, Rule, RuleSpec } from '../src/index.js';
import { planRulesDown, planRulesUp, type PolicyStep, type RulesInput } from '../src/redirect/rules-plan.js';
import { planDnsRules, wantedDnsRules } from '../src/redirect/dns-rules.js';

const P = 157;
const SERVER = '198.51.100.10/32';
const input = (over: Partial<RulesInput> = {}): RulesInput => ({
  iface: 'vpn',
  families: [4],
  gateways: {},
  gatewayNeedsRoute: [],
  bypassing: [SERVER],
  port: 655,
  table: 157,
  priority: 100,
  protocol: P,
  killSwitch: false,
  blockIpv6: false,
  ownedRules: [],
  ownedRoutes: [],
  ...over,
});

function describeRule(r: RuleSpec): string {
  const what = r.action === 'lookup' ? `lookup ${String(r.table)}` : r.action;
  const suppress = r.suppressPrefixLength !== undefined ? ` suppress ${r.suppressPrefixLength}` : '';
  const transport = r.ipProto !== undefined ? ` ${r.ipProto} ${String(r.dport)}` : '';
  return `${r.priority} v${r.family}${r.dst ? ` to ${r.dst}` : ''}${transport} ${what}${suppress}`;
}

const summary = (steps: PolicyStep[]) =>
  steps.map((s) =>
    s.kind === 'rule'
      ? `${s.change.op} rule ${describeRule(s.change.rule)}`
      : `${s.change.op} route ${s.change.route.dst}${s.change.route.type ? ` ${s.change.route.type}` : ''}${s.change.route.gateway ? ` via ${s.change.route.gateway}` : ''}`,
  );

/** What the kernel would show after the steps' additions: the rules and routes as observed objects. */
function observed(steps: PolicyStep[]): { rules: Rule[]; routes: Route[] } {
  const rules: Rule[] = [];
  const routes: Route[] = [];
  for (const s of steps) {
    if (s.kind === 'rule') {
      const r = s.change.rule;
      rules.push({
        ...r,
        family: r.family!,
        priority: r.priority!,
        action: r.action!,
        protocol: 'redirect-gateway',
      } as Rule);
    } else {
      const r = s.change.route;
      const family = r.dst.includes(':') ? 6 : 4;
      routes.push({
        family,
        table: 157,
        dst: r.dst.includes('/') ? r.dst : `${r.dst}/${family === 6 ? 128 : 32}`,
        gateway: r.gateway,
        dev: r.dev ?? (family === 6 ? 'lo' : undefined),
        metric: r.metric ?? (family === 6 ? 1024 : undefined),
        protocol: 'redirect-gateway',
        scope: 'global',
        type: r.type ?? 'unicast',
      });
    }
  }
  return { rules, routes };
}

describe('planRulesUp', () => {
  it("our table first, then the rules in order: tinc's port on the server to main, and refused, main without defaults, our table", () => {
    expect(summary(planRulesUp(input()))).toEqual([
      'add route 0.0.0.0/0',
      `add rule 100 v4 to ${SERVER} tcp 655 lookup main`,
      `add rule 100 v4 to ${SERVER} udp 655 lookup main`,
      `add rule 101 v4 to ${SERVER} tcp 655 unreachable`,
      `add rule 101 v4 to ${SERVER} udp 655 unreachable`,
      'add rule 102 v4 lookup main suppress 0',
      'add rule 103 v4 lookup 157',
    ]);
  });

  it('plans nothing once it is all there (idempotent), in every variant', () => {
    const variants: Partial<RulesInput>[] = [
      {},
      { families: [4, 6], bypassing: [SERVER, '2001:db8::10/128'] },
      { gateways: { 4: '172.16.1.1' }, gatewayNeedsRoute: [4] },
      { killSwitch: true, families: [4, 6] },
      { blockIpv6: true },
      { blockIpv6: true, killSwitch: true },
    ];
    for (const v of variants) {
      const first = planRulesUp(input(v));
      const now = observed(first);
      expect(planRulesUp(input({ ...v, ownedRules: now.rules, ownedRoutes: now.routes }))).toEqual([]);
    }
  });

  it('switch style: the gateway host route goes before the default route via it', () => {
    const steps = planRulesUp(input({ gateways: { 4: '172.16.1.1' }, gatewayNeedsRoute: [4] }));
    expect(summary(steps).slice(0, 2)).toEqual(['add route 172.16.1.1', 'add route 0.0.0.0/0 via 172.16.1.1']);
  });

  it('kill switch: an unreachable default at the worst metric; block IPv6: rules and an unreachable ::/0 only', () => {
    const kill = planRulesUp(input({ killSwitch: true }));
    expect(summary(kill).slice(0, 2)).toEqual(['add route 0.0.0.0/0', 'add route 0.0.0.0/0 unreachable']);
    expect(kill[1].kind === 'route' && kill[1].change.route.metric).toBe(0xffffffff);
    const block = summary(planRulesUp(input({ blockIpv6: true })));
    expect(block).toEqual([
      'add route 0.0.0.0/0',
      'add route ::/0 unreachable',
      `add rule 100 v4 to ${SERVER} tcp 655 lookup main`,
      `add rule 100 v4 to ${SERVER} udp 655 lookup main`,
      `add rule 101 v4 to ${SERVER} tcp 655 unreachable`,
      `add rule 101 v4 to ${SERVER} udp 655 unreachable`,
      'add rule 102 v4 lookup main suppress 0',
      'add rule 102 v6 lookup main suppress 0',
      'add rule 103 v4 lookup 157',
      'add rule 103 v6 lookup 157',
    ]);
  });

  it('a peer gone: its rules go, the refusal before the lookup of main; our table is left alone with keepRoutes', () => {
    const peer = '203.0.113.11/32';
    const now = observed(planRulesUp(input({ bypassing: [SERVER, peer] })));
    const steps = planRulesUp(input({ ownedRules: now.rules, ownedRoutes: [], keepRoutes: true }));
    expect(summary(steps)).toEqual([
      `delete rule 101 v4 to ${peer} tcp 655 unreachable`,
      `delete rule 101 v4 to ${peer} udp 655 unreachable`,
      `delete rule 100 v4 to ${peer} tcp 655 lookup main`,
      `delete rule 100 v4 to ${peer} udp 655 lookup main`,
    ]);
  });

  it('a new priority: the new rules come in before the old ones go, the old lookup of our table first', () => {
    const now = observed(planRulesUp(input()));
    const steps = summary(planRulesUp(input({ priority: 200, ownedRules: now.rules, ownedRoutes: now.routes })));
    expect(steps.slice(0, 6).every((s) => s.startsWith('add rule 20'))).toBe(true);
    expect(steps.slice(6)).toEqual([
      'delete rule 103 v4 lookup 157',
      'delete rule 102 v4 lookup main suppress 0',
      `delete rule 101 v4 to ${SERVER} tcp 655 unreachable`,
      `delete rule 101 v4 to ${SERVER} udp 655 unreachable`,
      `delete rule 100 v4 to ${SERVER} tcp 655 lookup main`,
      `delete rule 100 v4 to ${SERVER} udp 655 lookup main`,
    ]);
  });

  it('every step is undone by its opposite', () => {
    for (const s of planRulesUp(input({ killSwitch: true }))) {
      expect(s.undo.op).toBe('delete');
      if (s.kind === 'rule' && s.undo.op === 'delete') expect(s.undo.rule).toEqual(s.change.rule);
    }
  });
});

describe('planRulesDown', () => {
  it("the lookup of our table first, the server's rules last of the rules, then our table's routes", () => {
    const now = observed(planRulesUp(input({ killSwitch: true })));
    expect(summary(planRulesDown(now.rules, now.routes))).toEqual([
      'delete rule 103 v4 lookup 157',
      'delete rule 103 v6 lookup 157', // the kill switch covers IPv6 of an IPv4-only redirect too
      'delete rule 102 v4 lookup main suppress 0',
      'delete rule 102 v6 lookup main suppress 0',
      `delete rule 101 v4 to ${SERVER} tcp 655 unreachable`,
      `delete rule 101 v4 to ${SERVER} udp 655 unreachable`,
      `delete rule 100 v4 to ${SERVER} tcp 655 lookup main`,
      `delete rule 100 v4 to ${SERVER} udp 655 lookup main`,
      'delete route 0.0.0.0/0',
      'delete route 0.0.0.0/0 unreachable',
      'delete route ::/0 unreachable',
    ]);
  });
});

describe('planDnsRules', () => {
  const wanted = wantedDnsRules(['172.16.1.1', 'fd00:1::1'], P);

  it("the goto's target first and the refusal last; taken away, the refusal first", () => {
    expect(wanted.filter((r) => r.family === 4).map(describeRule)).toEqual([
      '30154 v4 nop',
      '30152 v4 to 172.16.1.1/32 tcp 53 goto',
      '30152 v4 to 172.16.1.1/32 udp 53 goto',
      '30153 v4 tcp 53 prohibit',
      '30153 v4 udp 53 prohibit',
    ]);
    const now = observed(planDnsRules(wanted, [])).rules;
    expect(planDnsRules(wanted, now)).toEqual([]);
    expect(summary(planDnsRules([], now)).filter((s) => s.includes(' v6 '))).toEqual([
      'delete rule 30153 v6 tcp 53 prohibit',
      'delete rule 30153 v6 udp 53 prohibit',
      'delete rule 30152 v6 to fd00:1::1/128 tcp 53 goto',
      'delete rule 30152 v6 to fd00:1::1/128 udp 53 goto',
      'delete rule 30154 v6 nop',
    ]);
  });

  it('another resolver: its exception comes in before the old one goes', () => {
    const now = observed(planDnsRules(wanted, [])).rules;
    expect(summary(planDnsRules(wantedDnsRules(['172.16.1.3', 'fd00:1::1'], P), now))).toEqual([
      'add rule 30152 v4 to 172.16.1.3/32 tcp 53 goto',
      'add rule 30152 v4 to 172.16.1.3/32 udp 53 goto',
      'delete rule 30152 v4 to 172.16.1.1/32 tcp 53 goto',
      'delete rule 30152 v4 to 172.16.1.1/32 udp 53 goto',
    ]);
  });
});
