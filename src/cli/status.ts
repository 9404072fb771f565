import type { DaemonStats } from '../daemon/stats.js';
import type { StatusReport } from '../status.js';
import { escapeText } from '../render/escape.js';
import { agentOptions, print, printJson, runCommand, type GlobalArgs } from './common.js';

export async function statusCommand(args: GlobalArgs & { json?: boolean }): Promise<void> {
  await runCommand(async () => {
    const { status } = await import('../status.js');
    const report = await status(await agentOptions(args));
    if (args.json) printJson(report);
    else printStatus(report);
    return 0;
  });
}

function printStatus(r: StatusReport): void {
  printFacts(r);
  printHealth(r);
  printTraffic(r.traffic);
  if (r.daemon) printDaemon(r.daemon);
}

// Drained or not, and what the health endpoint answers (as this status sees the host).
function printHealth(r: StatusReport): void {
  const d = r.drain;
  print('');
  print(
    `drain:   ${d ? `${d.state}${d.since ? ` since ${d.since}` : ''}${d.by === 'stop' ? ' (set by stop)' : ''}${d.problem ? `: ${d.problem}` : ''}` : 'not drained'}`,
  );
  const where = [
    r.health.listen && `GET http://${r.health.listen}/health`,
    r.health.agent && `agent-check ${r.health.agent}`,
  ]
    .filter(Boolean)
    .join(', ');
  const a = r.health.answer;
  print(`health:  ${a.status} ${a.lines.join('; ')}${where ? ` (${where})` : ' (no health.listen: not served)'}`);
}

function printTraffic(t: StatusReport['traffic']): void {
  print('');
  print(
    `traffic: ${t.counted ? 'new connections counted (nftables table inet rs_agent_traffic)' : `new connections not counted: ${t.notCounted ?? ''}`}`,
  );
  for (const p of t.ports) {
    const vip = p.vip.includes(':') ? `[${p.vip}]:${p.port}` : `${p.vip}:${p.port}`;
    print(
      `  ${vip.padEnd(22)} ${String(p.connections).padStart(6)} open${p.newConnections === null ? '' : `, ${p.newConnections} new since the table was loaded`}`,
    );
  }
  if (t.ports.length === 0) print('  no connection to a VIP seen');
  for (const d of t.tunnels)
    print(`  ${d.dev}: received ${d.packets} packets, ${d.errors} errors, ${d.dropped} dropped`);
  if (t.arpGuardDrops)
    print(
      `  ARP guard dropped: ${t.arpGuardDrops.requests} requests for a VIP, ${t.arpGuardDrops.replies} sent from a VIP`,
    );
  if (t.rpFilterDrops !== null) print(`  reverse-path filter drops (all devices): ${t.rpFilterDrops}`);
}

function printDaemon(d: DaemonStats): void {
  print('');
  print(
    `daemon:  ${d.running ? `running (pid ${d.pid}) since ${d.startedAt}` : `not running (last pid ${d.pid}${d.stoppedAt ? `, stopped ${d.stoppedAt}` : ''})`}`,
  );
  if (d.last) {
    const outcome = d.last.error ? `failed: ${d.last.error}` : d.last.inSync ? 'in sync' : 'drift remains';
    print(`  last reconcile: ${d.last.at} (${d.last.trigger}, ${d.last.durationMs} ms): ${outcome}`);
  }
  const counts = (byKind: Record<string, number> | undefined) =>
    Object.entries(byKind ?? {})
      .filter(([, n]) => n > 0)
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ') || 'none';
  print(`  repairs: ${counts(d.repairs)}${d.failedRepairs ? `; failed: ${d.failedRepairs}` : ''}`);
  print(`  changes (desired state moved): ${counts(d.changes)}`);
  // A daemon.json written before the flap backoff was so named reads as none.
  print(
    `  flap backoff: ${d.flapBackoffs ?? 0} backoffs; ARP protection fights (repaired every time): ${d.protectionFights ?? 0}`,
  );
  for (const h of d.backoffItems ?? []) {
    const state = h.heldUntil ? `HELD BACK until ${h.heldUntil}` : 'watched';
    print(`    ${h.item}: ${state} (${h.repairsInWindow} repairs in window, ${h.trips} trips)`);
  }
}

// Said only where there is something to clamp, or a table of rs-agent's to remove.
function printMss(m: StatusReport['mssClamp']): void {
  if (m.clamps.length === 0 && !m.owned && (m.table === 'absent' || m.table === 'unknown')) return;
  const setting = m.setting.ipv4 === m.setting.ipv6 ? m.setting.ipv4 : `ipv4 ${m.setting.ipv4}, ipv6 ${m.setting.ipv6}`;
  const nft = m.available === false ? `; not available (${m.reason ?? 'nft is missing'})` : '';
  print(
    `MSS clamp (nftables table inet rs_agent): tunnel.mss ${setting}${nft}; table ${m.table}${m.owned ? ' (loaded by rs-agent)' : ''}`,
  );
  for (const c of m.clamps) print(`  ${c.address}: mss ${c.mss} ${c.inForce ? 'in force' : 'NOT IN FORCE'} (${c.why})`);
}

function printFacts(r: StatusReport): void {
  const mark = (ok: boolean) => (ok ? 'ok' : 'MISSING');
  print(`config:  ${r.config}`);
  print(`state:   ${r.stateFile}`);
  print(`in sync: ${r.inSync ? 'yes' : `no, ${r.drift} drifted items (rs-agent check lists them)`}`);
  for (const problem of r.problems) print(`  not in place: ${problem}`);
  print('');
  print('VIPs:');
  // Wide enough for the longest VIP (IPv6) and device (ip6tnl0) present.
  const addressWidth = Math.max(16, ...r.vips.map((v) => v.address.length));
  const devWidth = Math.max(6, ...r.vips.map((v) => v.dev.length));
  for (const v of r.vips) {
    const owner = v.owned ? 'added by rs-agent' : v.addressPresent ? 'present before rs-agent' : '';
    const mss = v.mss === undefined ? '' : ` mss ${v.mss}`;
    print(
      `  ${v.address.padEnd(addressWidth)} ${v.mode.padEnd(3)} on ${v.dev.padEnd(devWidth)} address ${mark(v.addressPresent).padEnd(7)} route ${mark(v.routePresent).padEnd(7)} ${owner}${mss}`.trimEnd(),
    );
  }
  for (const l of r.links)
    print(`link ${l.dev}: ${l.up ? 'up' : 'DOWN'}${l.ownedByAgent ? ' (brought up by rs-agent)' : ''}`);
  for (const f of r.fou)
    print(`fou ${f.listener}: ${f.present ? 'present' : 'MISSING'}${f.ownedByAgent ? ' (added by rs-agent)' : ''}`);
  print('');
  print('sysctls:                                  actual  desired  original');
  for (const s of r.sysctls) {
    print(
      `  ${escapeText(s.key).padEnd(40)} ${String(s.actual ?? '-').padEnd(7)} ${String(s.desired ?? '-').padEnd(8)} ${s.original ?? '-'}`,
    );
  }
  print('');
  const g = r.arpGuard;
  const applies = g.applies ? 'on' : g.setting === 'off' ? 'off' : `not in use${g.reason ? ` (${g.reason})` : ''}`;
  print(
    `ARP guard (nftables table arp rs_agent): arp.guard ${g.setting}: ${applies}; table ${g.table}` +
      `${g.elements.length ? `, vips4 { ${g.elements.join(', ')} }` : ''}${g.owned ? ' (loaded by rs-agent)' : ''}`,
  );
  printMss(r.mssClamp);
  for (const k of r.kept) print(`kept: ${k.item} at ${k.now}, still needed by ${k.neededBy.join(', ')}`);
  print('');
  print(
    `recorded: ${r.owned.addresses} addresses, ${r.owned.routes} routes, ${r.owned.sysctls} sysctl originals` +
      `${r.owned.links.length ? `, links up: ${r.owned.links.join(' ')}` : ''}${r.owned.modules.length ? `, modules loaded: ${r.owned.modules.join(' ')}` : ''}`,
  );
}
