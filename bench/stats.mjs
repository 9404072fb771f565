// Medians and the table the benchmark prints.

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarise(samples) {
  const ms = samples.map((s) => s.ms);
  const rss = samples.map((s) => s.rssKiB).filter((v) => v !== undefined);
  return {
    runs: samples.length,
    medianMs: round(median(ms)),
    minMs: round(Math.min(...ms)),
    maxMs: round(Math.max(...ms)),
    ...(rss.length ? { peakRssKiB: Math.max(...rss) } : {}),
  };
}

export function ratio(a, b) {
  return a === undefined || b === undefined || b === 0 ? null : Math.round((a / b) * 1000) / 1000;
}

export function round(value) {
  return Math.round(value * 10) / 10;
}

// Rows of cells → aligned text, first column left, the rest right.
export function formatTable(header, rows) {
  const cells = [header, ...rows].map((row) => row.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells
    .map((row) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
    .join('\n');
}
