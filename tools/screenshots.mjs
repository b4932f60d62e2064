// npm run screenshots: renders every screen of the inspector, over the demo
// set on a virtual 80x24 terminal, into screenshots/ as SVG and PNG.
//
// Node 20 cannot run TypeScript, so this bundles tools/screenshots-main.ts
// with esbuild (the options of build.mjs) into node_modules/.cache/, three
// folders below the repository, where the worker pool finds dist/worker.js
// (built by npm run build) as ../../../dist/worker.js. Ink, React, xterm.js
// and resvg stay external and load from node_modules.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// Colour on, before Ink (and its chalk) is imported; and Ink's CI mode off:
// with CI set, Ink writes nothing until it unmounts, so there would be no screens.
process.env.FORCE_COLOR = '3';
delete process.env.NO_COLOR;
for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) if (key in process.env) process.env[key] = '0';

// Ink's restore-cursor writes "show the cursor" to stderr at exit; only a terminal wants it.
if (!process.stderr.isTTY) {
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk, ...rest) => (chunk === '\u001B[?25h' ? true : write(chunk, ...rest));
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'screenshots');
const cacheDir = join(root, 'node_modules', '.cache', 'restorable-screenshots');
const bundle = join(cacheDir, 'screenshots-main.mjs');

const { build } = await import('esbuild');
mkdirSync(cacheDir, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: [join(root, 'tools', 'screenshots-main.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  tsconfig: join(root, 'tsconfig.json'),
  external: ['@napi-rs/blake-hash', 'hash-wasm', 'ink', 'react', 'react/jsx-runtime', '@xterm/headless', '@resvg/resvg-js'],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});

const started = Date.now();
try {
  const { main } = await import(pathToFileURL(bundle).href);
  process.stderr.write(`screenshots: rendering the inspector at 80x24 into ${outDir}\n`);
  const files = await main({ outDir });
  process.stderr.write(`screenshots: ${files.length} files written in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
} catch (err) {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
