import type { Command } from 'commander';
import { EXIT, UsageError } from '../core/errors.js';
import type { CopySide } from '../core/locate/copy-side.js';
import type { RepairOutcome } from '../core/locate/repair.js';
import { jsonOption } from './options.js';
import { openSession } from './session.js';

interface CompareFlags {
  rsh?: string;
  remoteCommand?: string;
  heal?: boolean;
  replace?: boolean;
  out?: string;
  json?: boolean;
  verbose?: boolean;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description('find where copies of a backup differ without a block map: each copy is read where it lies and only digests of ranges, then the differing bytes, cross; the manifests or a third copy say which is right')
    .argument('<copies...>', 'two or more copies: a path, HOST:PATH (read there by restorable over ssh), or s3://bucket/key (downloaded)')
    .option('--rsh <command>', 'the remote shell for HOST:PATH copies', 'ssh')
    .option('--remote-command <command>', 'how restorable is started on the far side', 'restorable')
    .option('--heal', 'repair the damaged copy on this machine from the right one (written as FILE.healed)')
    .option('--replace', 'with --heal: swap the repaired file in; the damaged one is kept as FILE.damaged')
    .option('--out <path>', 'with --heal: where to write the repaired file')
    .option('-v, --verbose', 'list every differing region')
    .addOption(jsonOption())
    .action(async (copies: string[], flags: CompareFlags) => {
      process.exitCode = await runCompare(copies, flags);
    });

  program
    .command('serve-copy', { hidden: true })
    .description('answer a comparison about PATH on stdin/stdout (started by `compare` over ssh)')
    .argument('<path>')
    .action(async (path: string) => {
      const { serveCopy } = await import('../core/locate/copy-protocol.js');
      await serveCopy(path, process.stdin, process.stdout);
    });
}

async function runCompare(names: string[], flags: CompareFlags): Promise<number> {
  if (names.length < 2) throw new UsageError('compare needs two copies or more');
  if ((flags.replace || flags.out) && !flags.heal) throw new UsageError('--replace and --out go with --heal');
  const session = openSession({ warm: 0 });
  const { ScannedSide } = await import('../core/locate/copy-side.js');
  const { RemoteSide, parseRemoteCopy } = await import('../core/locate/remote-side.js');
  const { isObjectUri, objectLocation } = await import('../core/storage/object-uri.js');
  const sides: CopySide[] = [];
  try {
    for (const name of names) {
      const remote = parseRemoteCopy(name);
      if (remote) sides.push(new RemoteSide(name, remote.host, remote.path, { rsh: flags.rsh, remoteCommand: flags.remoteCommand, signal: session.signal }));
      else if (isObjectUri(name)) {
        const { location, key } = await objectLocation(name);
        sides.push(new ScannedSide(name, 'download', location, key, session.signal));
      } else sides.push(ScannedSide.file(name, session.signal, name));
    }
    const expected = await manifestDigests(sides);
    const { locate } = await import('../core/locate/locate.js');
    const { ProgressBar } = await import('../output/progress-bar.js');
    const bar = process.stderr.isTTY && !flags.json ? new ProgressBar(process.stderr) : undefined;
    const run = locate({ sides, expected: expected.digests, file: names[0]!, compressed: expected.compressed }, session.signal);
    let next = await run.next();
    while (!next.done) {
      bar?.onEvent(next.value);
      next = await run.next();
    }
    bar?.clear();
    const report = next.value;
    const repaired: RepairOutcome[] = [];
    if (flags.heal) {
      const { repairFromCopy } = await import('../core/locate/repair.js');
      for (const [i, c] of report.copies.entries()) {
        if (c.right !== false || !sides[i]!.path) continue;
        repaired.push(await repairFromCopy(report, sides, i, { out: flags.out, replace: flags.replace, signal: session.signal }));
      }
      // Transfer counts include the bytes fetched for the repair.
      for (const [i, side] of sides.entries()) report.copies[i]!.moved = side.moved;
    }
    const { compareText, compareExitCode } = await import('../output/compare-report.js');
    const { jsonText } = await import('../output/format.js');
    const code = compareExitCode(report, repaired);
    // A damaged copy left as it was (not known which is right, or not on this machine) is said, not hidden.
    const unhealed = flags.heal && code !== EXIT.ok ? report.copies.flatMap((c, i) => (c.right !== true && !repaired.some((h) => h.side === i) ? [i] : [])) : [];
    process.stdout.write(flags.json ? jsonText({ ok: code === EXIT.ok, ...report, repaired, unhealed }) : compareText(report, { repaired, unhealed, verbose: flags.verbose }));
    return code;
  } finally {
    await Promise.all(sides.map((s) => s.close()));
    await session.close();
  }
}

/** The digests the manifests beside a copy on this machine state (the first that has any), and whether the backup is compressed (for the forensics). */
async function manifestDigests(sides: CopySide[]) {
  const compressed = !/\.(tar|sql|img|raw|iso|dump)$/i.test(sides[0]!.name);
  const { referencesFromPaths } = await import('../core/locations/references.js');
  const { expectedDigests } = await import('../core/checks/compare.js');
  for (const side of sides) {
    if (!side.path) continue;
    const refs = await referencesFromPaths([side.path]);
    try {
      const expectations = refs.backups[0]?.ref.expectations ?? [];
      if (expectations.some((e) => Object.keys(e.digests).length)) return { digests: expectedDigests(expectations), compressed };
    } finally {
      await refs.cleanup();
    }
  }
  return { digests: undefined, compressed };
}
