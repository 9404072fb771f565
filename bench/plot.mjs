// A log-log SVG of time against VIP count: one line per series, a point per size.
// Plain SVG, so any browser or image viewer opens it.

const COLOURS = ['#1f77b4', '#2ca02c', '#9467bd', '#d62728', '#ff7f0e', '#7f7f7f'];

export function plotSvg({ title, series, xLabel, yLabel }) {
  const width = 760;
  const height = 480;
  const pad = { left: 70, right: 190, top: 40, bottom: 50 };
  const points = series.flatMap((s) => s.points);
  const decade = (v, f) => 10 ** f(Math.log10(v));
  const x0 = decade(Math.min(...points.map((p) => p.x)), Math.floor);
  const x1 = decade(Math.max(...points.map((p) => p.x)), Math.ceil);
  const y0 = decade(Math.min(...points.map((p) => p.y)), Math.floor);
  const y1 = decade(Math.max(...points.map((p) => p.y)), Math.ceil);
  const sx = (x) =>
    pad.left +
    ((Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0) || 1)) * (width - pad.left - pad.right);
  const sy = (y) =>
    height -
    pad.bottom -
    ((Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0) || 1)) * (height - pad.top - pad.bottom);
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<text x="${pad.left}" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`);
  for (let x = x0; x <= x1 * 1.0001; x *= 10) {
    out.push(`<line x1="${sx(x)}" y1="${pad.top}" x2="${sx(x)}" y2="${height - pad.bottom}" stroke="#ddd"/>`);
    out.push(`<text x="${sx(x)}" y="${height - pad.bottom + 16}" text-anchor="middle">${x}</text>`);
  }
  for (let y = y0; y <= y1 * 1.0001; y *= 10) {
    out.push(`<line x1="${pad.left}" y1="${sy(y)}" x2="${width - pad.right}" y2="${sy(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${pad.left - 6}" y="${sy(y) + 4}" text-anchor="end">${y >= 1 ? y : y.toPrecision(1)}</text>`);
  }
  out.push(
    `<text x="${(pad.left + width - pad.right) / 2}" y="${height - 12}" text-anchor="middle">${escape(xLabel)}</text>`,
  );
  out.push(
    `<text transform="translate(18 ${(pad.top + height - pad.bottom) / 2}) rotate(-90)" text-anchor="middle">${escape(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    const path = s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"${dash}/>`);
    for (const p of s.points)
      out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${colour}"/>`);
    const ly = pad.top + 10 + i * 20;
    out.push(
      `<line x1="${width - pad.right + 12}" y1="${ly}" x2="${width - pad.right + 36}" y2="${ly}" stroke="${colour}" stroke-width="2"${dash}/>`,
    );
    out.push(`<text x="${width - pad.right + 42}" y="${ly + 4}">${escape(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function escape(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
