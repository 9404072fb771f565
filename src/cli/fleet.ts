import { escapeText } from '../render/escape.js';
import type { FleetRow } from '../store/fleet-status.js';
import { print, printJson, runCommand, type GlobalArgs } from './common.js';

// `rs-agent fleet status`: the whole fleet as the store shows it. Exit 0 when every
// host is in sync, 1 otherwise (a host down, behind, stale...; or no host at all), 2
// when there is no store or it cannot be read.
export async function fleetCommand(args: GlobalArgs & { action?: string; json?: boolean }): Promise<void> {
  await runCommand(async () => {
    const { readFleet } = await import('../store/fleet-read.js');
    const { rows, revision } = await readFleet(args.config, args['allow-insecure-config']);
    if (args.json) printJson({ revision, hosts: rows });
    else printTable(rows, revision);
    return rows.length > 0 && rows.every((r) => r.state === 'in-sync') ? 0 : 1;
  });
}

function printTable(rows: FleetRow[], revision: number): void {
  const table = [
    [
      'HOST',
      'STATE',
      'DRAIN',
      'CONNS',
      'REVISION',
      'WANTED',
      'VIPS',
      'UPDATED',
      'LAST STORE OUTAGE',
      'AGENT',
      'ERRORS',
    ],
  ];
  for (const r of rows) {
    table.push([
      r.host,
      r.state,
      r.drain ?? '-',
      r.connections === null ? '-' : String(r.connections),
      r.revision === null ? '-' : String(r.revision),
      String(r.wanted),
      r.vips === null ? '-' : String(r.vips),
      r.updatedAt ?? '-',
      outage(r.lastOutage),
      r.instance ?? '-',
      r.errors.join('; ') || '-',
    ]);
  }
  // Escaped before measuring: what an agent wrote (a host name, its errors) reaches the
  // terminal as text, and the columns still line up.
  const cells = table.map((row) => row.map(escapeText));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  for (const row of cells)
    print(
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    );
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  const drains = new Map<string, number>();
  for (const r of rows) if (r.drain) drains.set(r.drain, (drains.get(r.drain) ?? 0) + 1);
  const drained = drains.size > 0 ? ` (${[...drains].map(([s, n]) => `${n} ${s}`).join(', ')})` : '';
  print(
    `${rows.length} hosts at store revision ${revision}: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ') || 'no host has reported'}${drained}`,
  );
}

function outage(o: FleetRow['lastOutage']): string {
  if (!o) return '-';
  const seconds = (Date.parse(o.to) - Date.parse(o.from)) / 1000;
  return `${seconds.toFixed(1)} s, until ${o.to}`;
}
