import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentVersion } from '../system/version.js';

// `rs-agent --version` and `rs-agent --help` without yargs, which is an ES module outside
// the bundle and its code cache: loading it cost these two more than a converged check
// costs to run. The version is the one yargs finds (version.ts); the help is the text
// yargs printed when the build ran the built entry with --help (build/bundle.mjs writes
// it to HELP_FILE beside the bundle). Given only where yargs would print that very text:
// in English (yargs translates its own words after LC_ALL, LC_MESSAGES, LANG or LANGUAGE)
// and at its full width of 100 columns (stdout not a terminal, or one at least that
// wide). Anything else, or no file, is null: yargs answers.

export const HELP_FILE = 'help.txt';
export const HELP_WIDTH = 100;

export function prebuiltUsage(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  columns = (): number | undefined => process.stdout.columns,
): string | null {
  if (argv.length !== 1) return null;
  if (argv[0] === '--version') {
    const version = agentVersion();
    return version === 'unknown' ? null : `${version}\n`;
  }
  if (argv[0] !== '--help' || !inEnglish(env) || (columns() ?? HELP_WIDTH) < HELP_WIDTH) return null;
  try {
    return readFileSync(join(dirname(fileURLToPath(import.meta.url)), HELP_FILE), 'utf8');
  } catch {
    return null; // not built (the source tree), or not readable: yargs
  }
}

// yargs' locale is the first of these set, without its charset ('de_DE.UTF-8' is de_DE);
// its English is the words of its source, which it prints where it has no translation:
// en, en_US and the like, and C and POSIX.
function inEnglish(env: NodeJS.ProcessEnv): boolean {
  const locale = (env.LC_ALL || env.LC_MESSAGES || env.LANG || env.LANGUAGE || 'en_US').replace(/[.:].*/, '');
  return locale === 'C' || locale === 'POSIX' || locale === 'en' || locale.startsWith('en_');
}
