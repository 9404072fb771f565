import { clipText as clip, escapeText } from '../render/escape.js';
import { stdoutIsJournal } from './journal-stream.js';

// One line per event on stdout (the journal under systemd): JSON by default, so a log
// pipeline can filter on fields, or text for a person at a terminal.

export type LogFormat = 'json' | 'text';
export type Level = 'info' | 'warning' | 'error';
export type Fields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  log(level: Level, event: string, message: string, fields?: Fields): void;
}

// sd-daemon(3)'s syslog priorities. journald takes a leading <N> off a line as its
// priority (so journalctl -p err shows exactly the errors) and stores the rest: a JSON
// line reaches the journal's MESSAGE, and a shipper reading it, still plain JSON.
const PRIORITY: Record<Level, number> = { error: 3, warning: 4, info: 6 };

export function createLogger(
  format: LogFormat,
  write: (line: string) => void = writeStdout,
  journal: boolean = stdoutIsJournal(),
): Logger {
  return {
    log(level, event, text, given = {}) {
      const time = new Date().toISOString();
      const prefix = journal ? `<${PRIORITY[level]}>` : '';
      const message = clip(text);
      if (format === 'json') {
        const fields = Object.fromEntries(
          Object.entries(given).map(([k, v]) => [k, typeof v === 'string' ? clip(v) : v]),
        );
        write(`${prefix}${JSON.stringify({ time, level, event, message, ...fields })}\n`);
      } else {
        // Escaped: a store key or an interface name in the message cannot start a line of
        // its own (a forged entry, or a "<3>" journald would file as an error).
        write(`${prefix}${time} ${level.padEnd(7)} ${escapeText(message)}\n`);
      }
    },
  };
}

// Once a reader closed stdout (`rs-agent run | head`), log lines have nowhere to go:
// the daemon stops writing them and goes on repairing (its status file and metrics
// still say what it does). The EPIPE itself is taken by the CLI's stdout handler.
function writeStdout(line: string): void {
  if (process.stdout.writable) process.stdout.write(line);
}
