import type { Family } from './address.js';

export type Mode = 'dr' | 'tun';

export interface VipConfig {
  address: string; // canonical text, no prefix
  family: Family;
  mode: Mode;
}

// A validated configuration: every field present, defaults filled in.
export interface Config {
  source: string; // where it was read from, for messages
  mode: Mode;
  vips: VipConfig[];
  interfaces: string[] | null; // null: every ethernet NIC
  arp: { ignore: number; announce: number };
}

export const DEFAULT_CONFIG_PATH = '/etc/rs-agent/rs-agent.yaml';
