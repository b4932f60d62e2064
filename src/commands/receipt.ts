import type { Command } from 'commander';
import { resolve } from 'node:path';
import { EXIT } from '../core/errors.js';
import { jsonText, printable } from '../output/format.js';
import { jsonOption, listArg } from './options.js';

/**
 * `restorable receipt verify FILE --trust KEY.pub`: an auditor's check of a
 * verification receipt. Its signature must be valid for one of the trusted
 * keys (a receipt edited after signing is `tampered`, exit 1); then what it
 * says is printed.
 */
export function registerReceipt(program: Command): void {
  const receipt = program.command('receipt').description('verification receipts (scan --receipt, locations --receipt)');
  receipt
    .command('verify')
    .description('check a receipt against its signature (RECEIPT.minisig) and print what it says')
    .argument('<file>', 'the receipt')
    .requiredOption('--trust <key.pub>', 'the public key it must be signed with (repeatable)', listArg)
    .addOption(jsonOption())
    .action(async (file: string, flags: { trust: string[]; json?: boolean }) => {
      const path = resolve(file);
      const { loadTrustedKeys } = await import('../core/signing/trust.js');
      const trusted = await loadTrustedKeys(flags.trust.map((f) => resolve(f)));
      const verdict = await trusted.verdict(path);
      if (verdict.state !== 'valid') {
        process.exitCode = verdict.state === 'unreadable' ? EXIT.cannotCheck : EXIT.integrity;
        const message = trusted.describe(path, verdict);
        if (flags.json) process.stdout.write(`${jsonText({ ok: false, status: verdict.state === 'unreadable' ? 'error' : 'tampered', message })}\n`);
        else process.stdout.write(`✗ tampered     ${printable(message)}\n`);
        return;
      }
      const { readReceipt } = await import('../core/report/receipt.js');
      const r = await readReceipt(path);
      process.exitCode = EXIT.ok;
      if (flags.json) return void process.stdout.write(`${jsonText({ ok: true, signedBy: verdict.keyId, receipt: r })}\n`);
      const counts = Object.entries(r.summary).map(([status, n]) => `${n} ${status.replace(/_/g, ' ')}`).join(', ');
      process.stdout.write(`✓ signed       ${printable(path)} by key ${verdict.keyId}\n`);
      process.stdout.write(`    restorable ${printable(r.tool.version)} on ${printable(r.host)}: ${printable(r.command.join(' '))}\n`);
      process.stdout.write(`    from ${r.started_at} to ${r.ended_at}, exit code ${r.exit_code}\n`);
      process.stdout.write(`    ${r.checks.length} checked: ${counts || 'nothing'}\n`);
      for (const c of r.checks.filter((x) => x.problem)) process.stdout.write(`    ✗ ${printable(c.backup)}${c.location ? ` in ${printable(c.location)}` : ''}: ${printable(c.problem!)}\n`);
    });
}
