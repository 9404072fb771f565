// One line per event on stdout (the journal under systemd): JSON by default, so a log
// pipeline can filter on fields, or text for a person at a terminal.

export type LogFormat = 'json' | 'text';
export type Level = 'info' | 'warning' | 'error';
export type Fields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  log(level: Level, event: string, message: string, fields?: Fields): void;
}

export function createLogger(format: LogFormat, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  return {
    log(level, event, message, fields = {}) {
      const time = new Date().toISOString();
      if (format === 'json') {
        write(`${JSON.stringify({ time, level, event, message, ...fields })}\n`);
      } else {
        write(`${time} ${level.padEnd(7)} ${message}\n`);
      }
    },
  };
}
