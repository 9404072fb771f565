import { execa } from 'execa';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, copyCli } from '../helpers/netns.js';
import { asUser, rootDir, useUnprivilegedUser } from '../helpers/unprivileged-user.js';

// `install` writes root units naming the rs-agent that ran it. A real unprivileged user
// (useradd here, userdel after) who can change that file, a directory or symlink on the
// way, or the interpreter its #! line names, would run code as root at the next boot:
// such a path is refused unless --allow-unsafe-path.

const user = useUnprivilegedUser('bp');
const place = (name: string) => rootDir(user().dir, name);
// How a path someone other than root could change is named.
const notRoot = (path: string, uid: number, mode: string) =>
  `${path} is owned by ${uid === 0 ? 'uid 0 (root)' : `uid ${uid} (${user().name})`} and mode ${mode}: ` +
  'it must be owned by root and writable by no one else';

// `rs-agent install --root R` run by the path `binary` (exec'd as an operator would).
async function installVia(binary: string, extra: string[] = []) {
  const root = join(mkdtempSync(join(user().dir, 'root-')), 'tree');
  const config = join(root, '../rs-agent.yaml');
  writeFileSync(config, 'vips: [192.0.2.10]\n');
  const r = await execa(binary, ['install', '--root', root, '--config', config, ...extra], { reject: false });
  return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, root };
}

describe('install refuses a binary path a non-root user could change', () => {
  it('the attack: a directory the user owns; refused, and with --allow-unsafe-path the user really takes over the unit', async () => {
    const own = place('home');
    chownSync(own, user().uid, user().gid);
    symlinkSync(CLI, join(own, 'rs-agent'));
    const refused = await installVia(join(own, 'rs-agent'));
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toBe(
      `rs-agent: install: the units would run ${own}/rs-agent as root, but a user other than root can change what that runs: ` +
        `${notRoot(own, user().uid, '0755')}; nothing was written: install rs-agent where only root can write ` +
        '(the Debian package, or npm install -g as root), or pass --allow-unsafe-path',
    );
    expect(existsSync(refused.root)).toBe(false);

    const allowed = await installVia(join(own, 'rs-agent'), ['--allow-unsafe-path']);
    expect(allowed.exitCode).toBe(0);
    expect(allowed.stderr).toMatch(
      /^rs-agent: warning: the units would run .* \(written anyway: --allow-unsafe-path\)$/,
    );
    const unit = join(allowed.root, 'etc/systemd/system/rs-agent.service');
    expect(readFileSync(unit, 'utf8')).toContain(`\nExecStart=${own}/rs-agent start\n`);
    // What the refusal prevents: the user, not root, swaps what the root unit runs.
    const [setpriv, ...as] = asUser(user());
    await execa(setpriv!, [
      ...as,
      'sh',
      '-c',
      `rm ${own}/rs-agent && printf '#!/bin/sh\\nid -u > /tmp/pwned\\n' > ${own}/rs-agent && chmod 755 ${own}/rs-agent`,
    ]);
    expect(readFileSync(join(own, 'rs-agent'), 'utf8')).toContain('/tmp/pwned');
  });

  it('a group-writable directory, a file the user owns in a sticky directory, a symlink the user owns there', async () => {
    const shared = place('shared');
    chownSync(shared, 0, user().gid);
    chmodSync(shared, 0o775);
    symlinkSync(CLI, join(shared, 'rs-agent'));
    expect((await installVia(join(shared, 'rs-agent'))).stderr).toContain(notRoot(shared, 0, '0775'));

    const sticky = place('sticky');
    chmodSync(sticky, 0o1777);
    // A copy of the bundle with the units beside it (install writes units only where it finds them).
    const copy = join(sticky, 'bundle');
    mkdirSync(join(copy, 'dist/cli'), { recursive: true, mode: 0o755 });
    copyCli(join(copy, 'dist/cli'), 0o755);
    cpSync(resolve(CLI, '../../../units'), join(copy, 'units'), { recursive: true });
    chownSync(join(copy, 'dist/cli/main.js'), user().uid, user().gid);
    expect((await installVia(join(copy, 'dist/cli/main.js'))).stderr).toContain(
      notRoot(`${copy}/dist/cli/main.js`, user().uid, '0755'),
    );

    symlinkSync(CLI, join(sticky, 'rs-agent'));
    lchownSync(join(sticky, 'rs-agent'), user().uid, user().gid);
    expect((await installVia(join(sticky, 'rs-agent'))).stderr).toContain(
      notRoot(`${sticky}/rs-agent`, user().uid, '0777'),
    );
  });
});

describe('paths in the units, escaped for systemd', () => {
  it('a path with % and a space is quoted and escaped, and systemd-analyze verify runs it', async () => {
    const odd = place('a%b c$d');
    symlinkSync(CLI, join(odd, 'rs-agent'));
    const r = await installVia(join(odd, 'rs-agent'));
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const unit = join(r.root, 'etc/systemd/system/rs-agent.service');
    const escaped = `"${odd.replaceAll('%', '%%')}/rs-agent"`;
    expect(readFileSync(unit, 'utf8')).toContain(`\nExecStart=${escaped} start\nExecStop=${escaped} stop\n`);
    // verify fails when the executable does not exist as systemd reads the line.
    const verify = await execa('systemd-analyze', ['verify', '--man=no', unit], { reject: false });
    expect(verify.stderr).toBe('');
    expect(verify.exitCode).toBe(0);
    // The same unit with the % left single: systemd reads a specifier and finds no such file.
    const wrong = join(r.root, 'wrong.service');
    writeFileSync(wrong, readFileSync(unit, 'utf8').replaceAll('%%', '%'));
    expect((await execa('systemd-analyze', ['verify', '--man=no', wrong], { reject: false })).exitCode).not.toBe(0);
  });

  it('a path with a quote cannot be named in a unit: a clear error, nothing written', async () => {
    const quoted = place(`it's`);
    symlinkSync(CLI, join(quoted, 'rs-agent'));
    const r = await installVia(join(quoted, 'rs-agent'));
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(
      `rs-agent: install: "${quoted}/rs-agent" cannot be named in a unit: systemd wants an absolute path without quotes, ` +
        'backslashes or control characters (systemd.service(5)); run install from rs-agent installed elsewhere',
    );
    expect(existsSync(r.root)).toBe(false);
  });
});
