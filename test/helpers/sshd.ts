import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real OpenSSH server on 127.0.0.1, for this user only, with keys made
 * for the test: copies "on another machine" are reached the way users reach
 * them (ssh HOST restorable serve-copy PATH).
 */
export class TestSshd {
  readonly dir = mkdtempSync(join(tmpdir(), 'restorable-sshd-'));
  port = 0;
  private child?: ChildProcess;

  /** The --rsh a user would give: this server's port and the test's key, no prompts, no known_hosts. */
  get rsh(): string {
    return `ssh -p ${this.port} -i ${join(this.dir, 'client')} -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR`;
  }

  async start(): Promise<void> {
    for (const key of ['host', 'client']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(this.dir, key)]);
    copyFileSync(join(this.dir, 'client.pub'), join(this.dir, 'authorized_keys'));
    this.port = await freePort();
    const config = join(this.dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${this.port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(this.dir, 'host')}`,
        `PidFile ${join(this.dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(this.dir, 'authorized_keys')}`,
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'PermitRootLogin prohibit-password',
      ].join('\n'),
    );
    // As root, sshd wants its privilege-separation folder; it is the system's own.
    if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
    const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let said = '';
      child.stderr!.on('data', (d: Buffer) => {
        said += d.toString();
        if (said.includes('Server listening')) resolve();
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`sshd exited with ${code}: ${said.trim()}`)));
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
