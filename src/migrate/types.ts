import type { Family } from '../config/address.js';
import type { Mode } from '../config/types.js';

// Where something came from in the script, for the comments in the YAML.
export interface Origin {
  line: number;
  source: string; // the statement as written
}

export interface ImportedVip extends Origin {
  address: string; // canonical
  family: Family;
  mode: Mode;
}

export interface ImportedSetting extends Origin {
  dev: string;
  value: string;
}

// What the script does that rs-agent can express, plus a note for everything else.
export interface Findings {
  vips: ImportedVip[];
  arpIgnore: ImportedSetting[];
  arpAnnounce: ImportedSetting[];
  rpFilter: ImportedSetting[];
  routes: (Origin & { address: string; dev: string })[];
  modules: (Origin & { name: string })[];
  notes: (Origin & { reason: string })[];
  // Why a VIP command could not be read, in the operator's terms ("the VIP is $1 ..."),
  // for the error when no VIP is found at all.
  missing: string[];
  // What is already there, so that a note or a VIP repeated by a loop is found at once.
  seen: { notes: Set<string>; vips: Map<string, ImportedVip> };
}

// The config the findings amount to, ready to render.
export interface ImportResult {
  mode: Mode;
  vips: ImportedVip[];
  interfaces: string[] | null;
  arp: { ignore: number; announce: number; origin: { ignore?: Origin; announce?: Origin } };
  notes: (Origin & { reason: string })[];
}
