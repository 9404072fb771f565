import { escapeText } from '../render/escape.js';
import type { ImportResult, Origin } from './types.js';

// The YAML for an import, by hand so each value can say which line of the script it
// came from, and everything left out can say why.
export function renderImport(result: ImportResult, source: string): string {
  const out: string[] = [
    `# rs-agent config imported by "rs-agent import" from ${escapeText(source)}.`,
    '# Review it, then: rs-agent validate --config FILE && rs-agent plan --config FILE',
    '# Unlike the script, rs-agent sets the ARP sysctls before adding any VIP, restores on stop the',
    '# values it found instead of writing 0, and covers every NIC and "default" as well as all and lo.',
    `mode: ${result.mode}`,
    'vips:',
  ];
  for (const vip of result.vips) {
    const address = vip.family === 6 ? `"${vip.address}"` : vip.address;
    if (vip.mode === result.mode) out.push(`  - ${address}${from(vip)}`);
    else out.push(`  - address: ${address}${from(vip)}`, `    mode: ${vip.mode}`);
  }
  if (result.interfaces) {
    out.push(`interfaces: [${result.interfaces.map(yamlName).join(', ')}]  # the NICs the script set ARP values on`);
  } else {
    out.push('# interfaces: omitted, so every ethernet NIC gets ARP suppression (the script named none).');
  }
  out.push(
    'arp:',
    `  ignore: ${result.arp.ignore}${from(result.arp.origin.ignore)}`,
    `  announce: ${result.arp.announce}${from(result.arp.origin.announce)}`,
  );
  if (result.notes.length > 0) {
    out.push('', '# Not translated, or done differently by rs-agent:');
    for (const n of result.notes) out.push(`#   line ${n.line}: ${clip(n.source)}`, `#     ${oneLine(n.reason)}`);
  }
  return `${out.join('\n')}\n`;
}

function from(origin: Origin | undefined): string {
  return origin ? `  # line ${origin.line}: ${clip(origin.source)}` : '  # default';
}

function clip(text: string): string {
  const line = oneLine(text);
  return line.length > 90 ? `${line.slice(0, 87)}...` : line;
}

// A comment line: the script's whitespace runs as one space, anything else a terminal or
// YAML would act on escaped (a newline would end the comment and start a key).
function oneLine(text: string): string {
  return escapeText(text.replace(/\s+/g, ' ').trim());
}

function yamlName(name: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) ? name : JSON.stringify(name);
}
