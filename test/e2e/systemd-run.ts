// Boots the e2e VM with systemd as PID 1 (vm/run-vm.sh, E2E_BOOT=systemd) running one guest
// scenario as a oneshot unit, and reads back what it observed: one JSON object per line,
// {step, t (the VM's uptime), ...facts}.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './cluster-run.js';
import { consoleTail, runVm } from './vm-run.js';

const here = dirname(fileURLToPath(import.meta.url));

export interface Step {
  step: string;
  t: number;
  [fact: string]: unknown;
}

export interface SystemdRun {
  steps: Step[];
  consoleLog: string;
  seconds: number;
}

export interface BootOptions {
  // An ext4 image as the overlay's upper layer (vm/run-vm.sh E2E_DISK): what one boot writes,
  // the next boot of the same image sees.
  disk?: string;
  // Names this boot's results and console files (several boots of one script).
  label?: string;
}

// Runs guest/SCRIPT to completion under systemd (vm-run.ts: a silent VM is killed, a slow one
// is not, up to timeoutSeconds).
export async function runUnderSystemd(
  script: string,
  timeoutSeconds: number,
  opts: BootOptions = {},
): Promise<SystemdRun> {
  mkdirSync(cacheDir, { recursive: true });
  const name = script.replace(/\.sh$/, '') + (opts.label ? `-${opts.label}` : '');
  const resultsFile = join(cacheDir, `results-${name}.jsonl`);
  const consoleLog = join(cacheDir, `console-${name}.log`);
  // E2E_JUDGE_ONLY=1: judge the results the last run left, without booting (for working on
  // the assertions).
  if (process.env.E2E_JUDGE_ONLY === '1') return { steps: readSteps(resultsFile, consoleLog), consoleLog, seconds: 0 };
  const started = Date.now();
  await runVm(
    resultsFile,
    consoleLog,
    {
      ...process.env,
      E2E_BOOT: 'systemd',
      E2E_SCRIPT: join(here, 'guest', script),
      ...(opts.disk ? { E2E_DISK: opts.disk } : {}),
    },
    timeoutSeconds,
  );
  return { steps: readSteps(resultsFile, consoleLog), consoleLog, seconds: (Date.now() - started) / 1000 };
}

function readSteps(resultsFile: string, consoleLog: string): Step[] {
  // The serial port ends lines with \r\n.
  const steps = readFileSync(resultsFile, 'utf8')
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Step);
  if (!steps.some((s) => s.step === 'done')) {
    throw new Error(`the scenario did not finish; console log: ${consoleLog}\n${consoleTail(consoleLog)}`);
  }
  return steps;
}

// The one step of that name; missing means the scenario broke before reaching it.
export function step<T extends Step = Step>(run: SystemdRun, name: string): T {
  const found = run.steps.filter((s) => s.step === name);
  if (found.length !== 1)
    throw new Error(`expected one step "${name}", found ${found.length}; console log: ${run.consoleLog}`);
  return found[0] as T;
}
