import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/**
 * True when the module with this `import.meta.url` is the script node was started with
 * (`node --import tsx bench/x.ts` or `tsx bench/x.ts`), so a file can be both imported and run.
 *
 * @example
 * ```ts
 * if (isMainModule(import.meta.url)) await main();
 * ```
 */
export function isMainModule(importMetaUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === importMetaUrl;
  } catch {
    return false;
  }
}
