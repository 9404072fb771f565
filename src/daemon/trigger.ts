// What asked for a pass, as counted in the metrics and named in each log line.
export const TRIGGERS = ['start', 'event', 'sysctl', 'listener', 'schedule', 'reload', 'backoff', 'store'] as const;
export type Trigger = (typeof TRIGGERS)[number];

export interface RequestOptions {
  // The pass restores protection (an ARP sysctl reset, the ARP guard's table touched, a
  // backoff's end) or applies a deliberate change (a reload, the store): it runs next,
  // never spaced out behind passes that find only what the gate holds back.
  urgent?: boolean;
}
