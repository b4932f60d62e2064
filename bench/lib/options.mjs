// The options the single-purpose benchmarks (deep, salvage, compare, drill,
// inspector) take: `--name value` and bare flags, from this process's command line.
const args = process.argv.slice(2);

/** The value after --name, or `fallback` when it is not given. */
export function option(name, fallback) {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : fallback;
}

/** Whether --name is given. */
export const flag = (name) => args.includes(`--${name}`);
