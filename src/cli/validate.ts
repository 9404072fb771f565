import { print, runCommand, type GlobalArgs } from './common.js';

export async function validateCommand(args: GlobalArgs): Promise<void> {
  await runCommand(async () => {
    const [{ loadConfig }, { requireRunnableSchedule }] = await Promise.all([
      import('../config/load.js'),
      import('../daemon/schedule.js'),
    ]);
    const config = loadConfig(args.config, { allowInsecure: args['allow-insecure-config'] });
    requireRunnableSchedule(config); // as `rs-agent run` will
    const tun = config.vips.filter((v) => v.mode === 'tun').length;
    print(`${config.file}: valid: ${config.vips.length} VIPs (${config.vips.length - tun} dr, ${tun} tun)`);
    return 0;
  });
}
