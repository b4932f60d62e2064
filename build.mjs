// Bundles the CLI and the hash worker into dist/ with esbuild. One file per
// entry loads several times faster than dozens of ES modules, and start-up
// time is paid by every cron run. Type checking is `tsc --noEmit` (npm run build).
import { build } from 'esbuild';

await build({
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
  // Ink and React (with Yoga's WebAssembly) load from node_modules, on first use of the inspector.
  // The S3 SDK is large and loads from node_modules only when a bucket is configured.
  external: ['@napi-rs/blake-hash', 'hash-wasm', 'ink', 'react', 'react/jsx-runtime', '@aws-sdk/client-s3', '@aws-sdk/lib-storage'],
  // Bundled CommonJS dependencies call require(); give them the real one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
