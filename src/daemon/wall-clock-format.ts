// The part of Intl.DateTimeFormat that node-cron uses, answered from Date's local-time
// getters: in the bundle (build/bundle.mjs) node-cron reads the wall clock through this.
// The first Intl.DateTimeFormat loads ICU's locale data, and its pages stay resident:
// 5 to 6 MiB of the daemon's RSS for a schedule that fires every 30 s. Date's getters
// read the same time zone (the process's: TZ, else /etc/localtime) without that data.
// node-cron asks for two formats, always in en-US and never with a time zone of its own
// (drift.schedule is in local time): the date and time as numbers with the short
// weekday, and the zone's offset ("GMT+2", "GMT-9:30", "GMT+0"). Anything else is refused.

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const two = (n: number) => String(n).padStart(2, '0');

export class WallClockFormat {
  private readonly offsetOnly: boolean;

  constructor(locale: string, options: Intl.DateTimeFormatOptions = {}) {
    if (locale !== 'en-US' || options.timeZone !== undefined)
      throw new Error(
        `wall clock format: ${JSON.stringify(locale)} in time zone ${JSON.stringify(options.timeZone)}: only en-US in the local time zone`,
      );
    this.offsetOnly = options.timeZoneName === 'shortOffset';
  }

  formatToParts(date: Date): Intl.DateTimeFormatPart[] {
    if (this.offsetOnly) return [{ type: 'timeZoneName', value: gmtOffset(-date.getTimezoneOffset()) }];
    const part = (type: Intl.DateTimeFormatPartTypes, value: string) => ({ type, value });
    const literal = (value: string) => part('literal', value);
    return [
      part('weekday', WEEKDAYS[date.getDay()] as string),
      literal(', '),
      part('month', two(date.getMonth() + 1)),
      literal('/'),
      part('day', two(date.getDate())),
      literal('/'),
      part('year', String(date.getFullYear())),
      literal(', '),
      part('hour', two(date.getHours())),
      literal(':'),
      part('minute', two(date.getMinutes())),
      literal(':'),
      part('second', two(date.getSeconds())),
    ];
  }
}

// An offset east of UTC in minutes, as en-US's shortOffset writes it.
function gmtOffset(minutes: number): string {
  const abs = Math.abs(minutes);
  const rest = abs % 60;
  return `GMT${minutes < 0 ? '-' : '+'}${Math.floor(abs / 60)}${rest === 0 ? '' : `:${two(rest)}`}`;
}
