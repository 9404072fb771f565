// The names the safety facts use (model/change.ts Safety): what a change provides and
// what another needs. A need matches a key or any key below it (`arp:nic` matches
// `arp:nic:eth0`). One vocabulary, so a kind's planner and the gate cannot disagree.

// A device exists (created by loading its module this pass).
export const deviceKey = (dev: string) => `device:${dev}`;
// A module is loaded (fou, which creates no device).
export const moduleKey = (name: string) => `module:${name}`;
// A device is up.
export const upKey = (dev: string) => `up:${dev}`;
// ARP protection: the ARP sysctls of a device that faces the wire (all, default, a NIC),
// and the nftables ARP guard. What every IPv4 VIP needs.
export const ARP_NIC = 'arp:nic';
export const ARP_GUARD = 'arp:guard';
export const arpNicKey = (dev: string) => `${ARP_NIC}:${dev}`;
// The ARP sysctls of a device that holds VIPs (lo, a tunnel): protective like any ARP
// sysctl, but such a device receives no ARP from the wire, so no VIP waits for them.
export const arpHomeKey = (dev: string) => `arp:home:${dev}`;
// rp_filter at 0 (or loose) on a device and on all: what a TUN VIP on the device needs.
export const rpFilterKey = (dev: string) => `rpf:${dev}`;
// A GUE listener.
export const listenerKey = (port: number, family: 4 | 6) => `fou:${family}:${port}`;
// A VIP's address in place: what its route needs.
export const addressPlacedKey = (key: string) => `address:${key}`;
// A VIP-like address taken away from a device: what lowering that device's protection
// (and, for any device, lowering ARP protection) needs first.
export const VIP_GONE = 'vip-gone';
export const vipGoneKey = (dev: string, key: string) => `${VIP_GONE}:${dev}:${key}`;
export const vipGoneOn = (dev: string) => `${VIP_GONE}:${dev}`;

// The needs of an IPv4 VIP, whatever device it is on.
export const ARP_PROTECTION = [ARP_NIC, ARP_GUARD] as const;
