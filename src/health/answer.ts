import type { DrainState } from '../drain/record.js';
import { clipText, escapeText } from '../render/escape.js';

// What the health endpoint says, from what the daemon last published and the drain
// record: 200 "pooled" only when the host is in sync, not drained, and its service
// answers; otherwise 503 with the reason first. Pure. The reasons carry text rs-agent did
// not write (interface names, the store's VIPs, a path): escaped, one reason one line.

export interface HealthState {
  verdict: { inSync: boolean; why: readonly string[] } | null; // null: no pass has finished yet
  drain: DrainState | null; // null: not drained
}

export interface ServiceResult {
  ok: boolean;
  detail: string; // "http://127.0.0.1:8080/ping answered 200", "connect ECONNREFUSED 127.0.0.1:8080"
}

export interface HealthAnswer {
  status: 200 | 503;
  state: 'pooled' | 'draining' | 'drained' | 'unknown' | 'drift' | 'service';
  lines: string[]; // the body, the reason first
  agent: string; // the HAProxy agent-check line
}

export function healthAnswer(
  state: HealthState,
  service: ServiceResult | null,
  agentWeight: number | null = null,
): HealthAnswer {
  const reasons: { state: HealthAnswer['state']; line: string }[] = [];
  const { drain, verdict } = state;
  if (drain) {
    const since = drain.since ? ` since ${drain.since}` : '';
    const store = drain.store ? ` (the store drains it${drain.store.reason ? `: ${drain.store.reason}` : ''})` : '';
    reasons.push({
      state: drain.state,
      line: `${drain.state}${since}${store}${drain.problem ? `: ${drain.problem}` : ''}`,
    });
  }
  if (verdict === null)
    reasons.push({ state: 'unknown', line: 'desired state unknown: no reconcile has finished yet' });
  else if (!verdict.inSync) {
    const more = verdict.why.length > 1 ? ` (and ${verdict.why.length - 1} more)` : '';
    // The verdict's own words: "drift: …", "failed: …", "held: …", "conflict: …", "error: …".
    reasons.push({ state: 'drift', line: `${verdict.why[0] ?? 'drift: not in sync'}${more}` });
  }
  if (service && !service.ok) reasons.push({ state: 'service', line: `service: ${service.detail}` });
  const first = reasons[0];
  if (first === undefined) {
    const weight = agentWeight === null ? '' : ` ${agentWeight}%`;
    const line = `pooled: in sync${service ? `; service: ${service.detail}` : ''}`;
    return { status: 200, state: 'pooled', lines: [escapeText(line)], agent: `up ready${weight}` };
  }
  return {
    status: 503,
    state: first.state,
    lines: reasons.map((r) => escapeText(clipText(r.line))),
    agent: agentLine(first.state, first.line),
  };
}

// HAProxy's agent-check words: drain (weight 0: no new connection, established ones go on),
// maint (drained: nothing left to protect), down with the reason after '#'.
function agentLine(state: HealthAnswer['state'], reason: string): string {
  if (state === 'draining') return 'drain';
  if (state === 'drained') return 'maint';
  return `down#${reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 200)}`;
}
