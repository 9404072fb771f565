import type { Change, ModuleChange } from '../../src/plan/types.js';

// Planned changes as the planner makes them, for tests of what consumes a plan.

// An IPv4 conf sysctl set from 0 to 1.
export const sysctl = (dev: string, name: string): Change => ({
  kind: 'sysctl',
  action: 'set',
  target: `net.ipv4.conf.${dev}.${name}`,
  path: `net/ipv4/conf/${dev}/${name}`,
  from: '0',
  to: '1',
});

// The VIP 192.0.2.10 added on lo, and its host route.
export const address: Change = {
  kind: 'address',
  action: 'add',
  target: '192.0.2.10/32 dev lo',
  address: '192.0.2.10',
  prefixlen: 32,
  family: 4,
  dev: 'lo',
  from: 'absent',
  to: 'present',
  label: 'lo:0',
};
export const route: Change = {
  kind: 'route',
  action: 'add',
  target: '192.0.2.10/32 dev lo',
  dst: '192.0.2.10',
  prefixlen: 32,
  family: 4,
  dev: 'lo',
  from: 'absent',
  to: 'present',
};

// ipip loaded, creating tunl0.
export const ipipModule: ModuleChange = {
  kind: 'module',
  action: 'load',
  target: 'ipip',
  module: 'ipip',
  device: 'tunl0',
  from: 'absent',
  to: 'loaded',
};
