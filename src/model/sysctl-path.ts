import type { Family } from '../config/address.js';

// Sysctl paths as rs-agent handles them: relative to /proc/sys, '/' between levels
// (net/ipv4/conf/eth0/arp_ignore). An interface name may contain dots, never '/'.

const CONF = /^net\/ipv([46])\/conf\/([^/]+)\/([a-z0-9_]+)$/;

export function confPath(family: Family, dev: string, name: string): string {
  return `net/ipv${family}/conf/${dev}/${name}`;
}

// The device a conf sysctl belongs to ("all" and "default" included), or null.
export function deviceOfSysctl(path: string): string | null {
  return CONF.exec(path)?.[2] ?? null;
}

// The sysctl's own name (arp_ignore, rp_filter).
export function sysctlName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

// Whether the path is a per-device conf sysctl of IPv4 or IPv6.
export function isConfSysctl(path: string): boolean {
  return CONF.test(path);
}

// The same sysctl of another device: a rename moves the device's conf directory.
export function withDevice(path: string, dev: string): string {
  return path.replace(/^(net\/ipv[46]\/conf\/)[^/]+\//, `$1${dev}/`);
}

// The name `sysctl` uses: dots between levels, and a dot inside an interface name
// written as '/' (net.ipv4.conf.eth0/100.arp_ignore).
export function sysctlKey(path: string): string {
  return path
    .split('/')
    .map((part) => part.replace(/\./g, '/'))
    .join('.');
}

// The ARP sysctls: lowering one can make the host answer ARP for a VIP.
export function isArpSysctl(path: string): boolean {
  const name = sysctlName(path);
  return name === 'arp_ignore' || name === 'arp_announce';
}
