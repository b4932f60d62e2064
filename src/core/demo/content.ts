import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';

/**
 * Deterministic pseudo-random bytes: AES-128-CTR over zeros with a key from
 * the seed. Fast, and the same seed always gives the same demo.
 */
export function prng(seed: string, length: number): Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

/** Log lines that look like a web server's, so the archive compresses like a real one. */
function accessLog(seed: string, lines: number): string {
  const r = prng(seed, lines * 8);
  const paths = ['/', '/login', '/api/orders', '/api/users', '/static/app.js', '/health', '/api/invoices/export'];
  const codes = [200, 200, 200, 200, 201, 204, 301, 404, 500];
  let out = '';
  for (let i = 0; i < lines; i++) {
    const b = r.subarray(i * 8, i * 8 + 8);
    const ip = `10.${b[0]! % 16}.${b[1]}.${b[2]}`;
    const t = new Date(Date.UTC(2026, 10, 1) + i * 1370).toISOString();
    out += `${ip} - - [${t}] "GET ${paths[b[3]! % paths.length]} HTTP/1.1" ${codes[b[4]! % codes.length]} ${b.readUInt16LE(5)} "-" "curl/8.5"\n`;
  }
  return out;
}

function usersCsv(seed: string, rows: number): string {
  const r = prng(seed, rows * 4);
  const names = ['ada', 'grace', 'linus', 'ken', 'dennis', 'barbara', 'margaret', 'edsger', 'donald', 'frances'];
  let out = 'id,name,email,plan,created\n';
  for (let i = 0; i < rows; i++) {
    const name = `${names[r[i * 4]! % names.length]}${r.readUInt16LE(i * 4 + 1)}`;
    out += `${i + 1},${name},${name}@example.com,${['free', 'team', 'business'][r[i * 4 + 3]! % 3]},2026-0${1 + (i % 9)}-1${i % 10}\n`;
  }
  return out;
}

export interface Member {
  name: string;
  content: Buffer;
  mode?: number;
}

/** The members of one demo application backup. */
export function appMembers(seed: string): Member[] {
  return [
    { name: 'app/config/app.yaml', content: Buffer.from(`name: shop\nenv: production\ndb: postgres://db:5432/shop\nworkers: 4\nseed: ${seed}\n`) },
    { name: 'app/config/.env.example', content: Buffer.from('DATABASE_URL=\nSECRET_KEY=\n') },
    { name: 'app/data/users.csv', content: Buffer.from(usersCsv(`${seed}/users`, 12000)) },
    { name: 'app/logs/access.log', content: Buffer.from(accessLog(`${seed}/access`, 24000)) },
    { name: 'app/uploads/invoice-0001.pdf', content: prng(`${seed}/pdf1`, 700 * 1024) },
    { name: 'app/uploads/photo-0002.jpg', content: prng(`${seed}/jpg2`, 900 * 1024) },
    { name: 'app/uploads/scan-0003.png', content: prng(`${seed}/png3`, 400 * 1024) },
    { name: 'app/cache/.keep', content: Buffer.alloc(0) },
    { name: 'app/README.md', content: Buffer.from('# shop\nProduction application data. Restore with `tar -xzf`.\n') },
  ];
}

/** Writes members as a gzip-compressed tar archive with fixed timestamps (deterministic bytes). */
export async function writeTarGz(path: string, members: Member[], mtime: Date): Promise<void> {
  const pack = tar.pack();
  const done = pipeline(pack, createGzip({ level: 6 }), createWriteStream(path, { mode: 0o640 }));
  for (const m of members) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: m.name, size: m.content.length, mode: m.mode ?? 0o644, mtime, uname: 'app', gname: 'app', uid: 1000, gid: 1000 }, m.content, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }
  pack.finalize();
  await done;
}

/** A gzip-compressed mysqldump-style SQL dump, complete with its trailer. */
export async function writeSqlDumpGz(path: string, seed: string, when: Date): Promise<void> {
  const r = prng(seed, 40000 * 6);
  let sql = `-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: db    Database: shop\n-- ------------------------------------------------------\n\n`;
  sql += 'DROP TABLE IF EXISTS `orders`;\nCREATE TABLE `orders` (\n  `id` int NOT NULL,\n  `user_id` int NOT NULL,\n  `total_cents` int NOT NULL,\n  `token` char(16) NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\n\n';
  for (let batch = 0; batch < 400; batch++) {
    const rows: string[] = [];
    for (let i = 0; i < 100; i++) {
      const k = (batch * 100 + i) * 6;
      rows.push(`(${batch * 100 + i + 1},${r.readUInt16LE(k)},${r.readUInt16LE(k + 2) * 7},'${r.subarray(k, k + 6).toString('hex').slice(0, 16).padEnd(16, '0')}')`);
    }
    sql += `INSERT INTO \`orders\` VALUES ${rows.join(',')};\n`;
  }
  sql += `\n-- Dump completed on ${when.toISOString().slice(0, 19).replace('T', ' ')}\n`;
  await pipeline(async function* () {
    yield Buffer.from(sql);
  }, createGzip({ level: 6 }), createWriteStream(path, { mode: 0o640 }));
}
