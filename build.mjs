// Bundles the CLI and the hash worker into dist/ with esbuild. One file per
// entry loads several times faster than dozens of ES modules, and start-up
// time is paid by every cron run. Type checking is `tsc --noEmit` (npm run build).
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';

// Chunk names carry a content hash: without this, every build leaves the last one's chunks behind.
rmSync('dist', { recursive: true, force: true });

// Ink measures every line of every frame with string-width; its imports of it (and widest-line's)
// go to a wrapper with a fast path for the inspector's own characters (src/ui/text-width.ts).
const fastTextWidth = {
  name: 'fast-text-width',
  setup(b) {
    b.onResolve({ filter: /^string-width$/ }, (args) => (/node_modules[\\/](ink|widest-line)[\\/]/.test(args.importer) ? { path: resolve('src/ui/text-width.ts') } : undefined));
  },
};

await build({
  plugins: [fastTextWidth],
  entryPoints: { cli: 'src/cli.ts', worker: 'src/core/hash/worker.ts' },
  outdir: 'dist',
  bundle: true,
  // Code only some commands need (the demo's archive writer, the schema
  // library for JSON manifests) goes into chunks loaded on first use.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  minify: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  // Native and WebAssembly hash engines are loaded at run time, from node_modules.
  // Ink and React are bundled into the inspector's chunk: loaded as hundreds of modules from
  // node_modules they took longer than listing 5,000 backups. React's production build only
  // (its development build checks every render); Ink's devtools hook is never used.
  // The S3 SDK is large and loads from node_modules only when a bucket is configured.
  external: ['@napi-rs/blake-hash', '@node-rs/crc32', 'hash-wasm', '@aws-sdk/client-s3', '@aws-sdk/lib-storage', 'react-devtools-core'],
  define: { 'process.env.NODE_ENV': '"production"' },
  // Bundled CommonJS dependencies call require(); give them the real one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
