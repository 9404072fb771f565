import type { ActualLink } from '../../src/observe/types.js';

// The links of a plain host as the planner sees them: lo with its own address, and one NIC.
export const lo: ActualLink = {
  name: 'lo',
  up: true,
  linkType: 'loopback',
  addresses: [{ address: '127.0.0.1', prefixlen: 8, family: 4, label: 'lo' }],
};
export const eth0: ActualLink = { name: 'eth0', up: true, linkType: 'ether', addresses: [] };
