import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/spec.js';
import { parseConfig } from '../../src/config/load.js';

// The README is the front door: short, its example a config rs-agent accepts, and its test
// command the one CI runs.

const ROOT = join(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

// The body of the first fenced block of `language` after `marker`.
function blockAfter(marker: string, language: string): string {
  const from = README.indexOf(marker);
  expect(from, marker).toBeGreaterThanOrEqual(0);
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(README.slice(from));
  return match?.[1] ?? '';
}

describe('README.md', () => {
  it('fits in 250 lines', () => {
    expect(README.split('\n').length).toBeLessThanOrEqual(250);
  });

  it('its configuration example is a valid config', () => {
    const config = parseConfig(blockAfter('## Configuration', 'yaml'), 'README.md');
    expect(config.vips.map((v) => `${v.address} ${v.mode}`)).toEqual([
      '192.0.2.10 dr',
      '192.0.2.11 dr',
      '198.51.100.7 tun',
    ]);
  });

  it('shows the maintenance procedure in five commands, each one rs-agent or its unit has', () => {
    const commands = blockAfter('## Maintenance', 'sh')
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter(Boolean);
    expect(commands.map((c) => c.split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'rs-agent drain',
      'systemctl stop',
      'systemctl start',
      'rs-agent undrain',
      'rs-agent status',
    ]);
    const names = COMMANDS.map((c) => c.name);
    for (const c of commands.filter((c) => c.startsWith('rs-agent '))) expect(names, c).toContain(c.split(/\s+/)[1]);
    for (const c of commands.filter((c) => c.startsWith('systemctl ')))
      expect(c).toMatch(/^systemctl (stop|start) rs-agent$/);
  });

  it('its test command is the one .ci/run runs', () => {
    const command = blockAfter('**Run the tests.**', 'sh').trim();
    expect(command).toBe('npm run test:all');
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8').trim().split('\n').at(-1);
    expect(ci).toBe(command);
  });
});
