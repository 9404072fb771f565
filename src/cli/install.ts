import { join } from 'node:path';
import { print, printError, runCommand, type GlobalArgs } from './common.js';

type InstallArgs = GlobalArgs & { root?: string; 'allow-unsafe-path'?: boolean };

// Exit 0: installed (or already so). 2: a bad config, or a file in the way.
export async function installCommand(args: InstallArgs): Promise<void> {
  await runCommand(async () => {
    const [{ loadConfig }, { install, PACKAGE_UNITS_DIR }, { MANIFEST }] = await Promise.all([
      import('../config/load.js'),
      import('../install/install.js'),
      import('../install/manifest.js'),
    ]);
    const root = args.root ?? '/';
    const config = loadConfig(args.config, { allowInsecure: args['allow-insecure-config'] });
    // The units name the rs-agent that runs this install: argv[1] is the path it was
    // started by (the /usr/local/bin/rs-agent link of npm install -g, or a checkout's bundle).
    const actions = install({
      root,
      config,
      binary: process.argv[1] as string,
      allowUnsafePath: args['allow-unsafe-path'],
      warn: printError,
    });
    for (const a of actions) print(`${a.action} ${join(root, a.path)}${a.note ? ` (${a.note})` : ''}`);
    if (!actions.some((a) => a.path.endsWith('.service'))) {
      print(
        `note: no unit files beside this rs-agent (looked in ${PACKAGE_UNITS_DIR}); the Debian package ships its units in /lib/systemd/system`,
      );
    }
    print(`recorded in ${join(root, MANIFEST)}`);
    if (root === '/' && actions.some((a) => a.path.endsWith('/rs-agent.service'))) {
      print('next: systemctl daemon-reload && systemctl enable --now rs-agent.service');
    }
    return 0;
  });
}

// Exit 0: everything rs-agent installed is gone, or left because it was edited (said so).
export async function uninstallCommand(args: InstallArgs): Promise<void> {
  await runCommand(async () => {
    const [{ uninstall, stillEnabled }, { MANIFEST, readManifest }] = await Promise.all([
      import('../install/install.js'),
      import('../install/manifest.js'),
    ]);
    const root = args.root ?? '/';
    const enabled = stillEnabled(root, Object.keys(readManifest(join(root, MANIFEST))?.files ?? {}));
    const actions = uninstall({ root });
    if (actions === null) {
      print(`nothing to uninstall: no ${join(root, MANIFEST)}`);
      return 0;
    }
    for (const a of actions) print(`${a.action} ${join(root, a.path)}${a.note ? ` (${a.note})` : ''}`);
    print(`removed ${join(root, MANIFEST)}`);
    for (const unit of enabled) print(`note: ${unit} is still enabled; run: systemctl disable ${unit}`);
    return 0;
  });
}
