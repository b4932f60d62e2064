import { jsonText, printable } from '../output/format.js';
import type { Command } from 'commander';
import { basename, dirname, resolve } from 'node:path';
import { EXIT, RestorableError, UsageError } from '../core/errors.js';
import { ProgressBar } from '../output/progress-bar.js';
import { formatBytes } from '../output/format.js';
import { colorEnabled, paint } from '../output/style.js';
import { findLocation, locationOptions, openLocations, openManifestLocation, resolveLocationFlags, type LocationFlags } from './location-options.js';
import { untrustedResult } from './runner.js';
import { jsonOption, listArg } from './options.js';
import { openSession } from './session.js';

interface HealFlags extends LocationFlags {
  from: string;
  copy?: string;
  replace?: boolean;
  out?: string;
  json?: boolean;
  trust?: string[];
  stateDir?: string;
}

export function registerHeal(program: Command): void {
  locationOptions(
    program
      .command('heal')
      .description('repair a damaged copy from a healthy one: only the bad blocks are fetched (ranged reads), each checked against the block map, and the result verified whole')
      .argument('<file>', 'the backup on this machine (its manifests and block map beside it, or in --manifest-location)'),
  )
    .requiredOption('--from <name>', 'the location holding a healthy copy')
    .option('--copy <name>', 'heal the copy in this location rather than the local file')
    .option('--replace', 'swap the repaired file in (the damaged one is kept as FILE.damaged), or upload it over the damaged object')
    .option('--out <path>', 'where to write the repaired file (default: FILE.healed beside the damaged one)')
    .option('--trust <key.pub>', 'heal only with a block map signed by this key (repeatable)', listArg)
    .option('--state-dir <dir>', 'the ledger where the healed copy is recorded as verified (default: $XDG_STATE_HOME/restorable)')
    .addOption(jsonOption())
    .action(async (file: string, flags: HealFlags) => {
      process.exitCode = await runHeal(file, flags);
    });
}

async function runHeal(file: string, flags: HealFlags): Promise<number> {
  const { specs } = await resolveLocationFlags(flags);
  const locations = await openLocations(specs);
  const session = openSession({ warm: 0 });
  const { referencesFromManifestLocation, referencesFromPaths } = await import('../core/locations/references.js');
  const manifests = await openManifestLocation(flags.manifestLocation);
  const refs = manifests ? await referencesFromManifestLocation(manifests, { signal: session.signal }) : await referencesFromPaths([file]);
  try {
    const key = basename(file);
    const backup = refs.backups.find((b) => b.ref.key === key || b.ref.key.endsWith(`/${key}`));
    if (!backup) throw new UsageError(`${file}: no manifest or block map found for it${refs.problems[0] ? ` (${refs.problems[0].message})` : ''}`);
    if (flags.trust) {
      // Healing writes what the block map says is right: a forged map must not be obeyed.
      const { loadTrustedKeys } = await import('../core/signing/trust.js');
      const untrusted = await untrustedResult(file, backup.ref.expectations, await loadTrustedKeys(flags.trust.map((f) => resolve(f))), refs.display);
      if (untrusted) throw new RestorableError(`tampered: ${untrusted.findings[0]!.message}; nothing was healed`, untrusted.status === 'tampered' ? EXIT.integrity : EXIT.cannotCheck);
    }
    const source = findLocation(locations, flags.from);
    const { LocalLocation } = await import('../core/storage/local-location.js');
    const target = flags.copy ? findLocation(locations, flags.copy) : new LocalLocation('local', dirname(resolve(file)));
    if (target === source) throw new UsageError('--from and --copy name the same location');
    const { healCopy } = await import('../core/locations/heal.js');
    const bar = process.stderr.isTTY && !flags.json ? new ProgressBar(process.stderr) : undefined;
    const p = paint(colorEnabled(process.stdout));
    const gen = healCopy({ key: flags.copy ? backup.ref.key : key, expectations: backup.ref.expectations, target, source, replace: flags.replace, out: flags.out }, { signal: session.signal });
    let next = await gen.next();
    while (!next.done) {
      const ev = next.value;
      if (ev.type === 'step' && ev.state !== 'running' && !flags.json) {
        bar?.clear();
        const mark = ev.state === 'ok' ? p.green('✓') : p.red('✗');
        process.stderr.write(`${mark} ${printable(ev.title)}${ev.detail ? p.dim(`  ${printable(ev.detail)}`) : ''}\n`);
      } else bar?.onEvent(ev);
      next = await gen.next();
    }
    bar?.clear();
    const out = next.value;
    if (flags.replace && out.healedBlocks > 0) {
      // The copy in place was verified whole: that clears what an earlier check found in the ledger.
      const { Ledger, defaultStateDir } = await import('../core/schedule/ledger.js');
      const ledger = await Ledger.open(flags.stateDir ?? defaultStateDir());
      ledger.recordHealed(flags.copy ? backup.ref.key : key, target.name, out.result);
      await ledger.save();
    }
    if (flags.json) {
      process.stdout.write(jsonText({ ok: true, healedBlocks: out.healedBlocks, fetchedBytes: out.fetchedBytes, repaired: out.repaired, results: [out.result] }));
    } else if (out.healedBlocks === 0) {
      process.stdout.write(`${p.green('✓')} ${printable(out.result.file)}: nothing to heal, every block matches the block map\n`);
    } else {
      process.stdout.write(`${p.green('✓ healed')} ${printable(out.result.file)}: ${out.healedBlocks} block${out.healedBlocks === 1 ? '' : 's'} (${formatBytes(out.fetchedBytes)}) fetched from ${source.name}, verified whole\n`);
      for (const f of out.result.findings.slice(1)) process.stdout.write(`    ${printable(f.message)}\n`);
    }
    return EXIT.ok;
  } finally {
    await refs.cleanup();
    manifests?.close();
    for (const l of locations) l.close();
    await session.close();
  }
}
