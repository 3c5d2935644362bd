import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

/** The first ```ts block after the "## SDK" heading of README.md. */
async function readmeSdkExample(): Promise<string> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## SDK'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (match?.[1] === undefined) throw new Error('README.md has no ts block under "## SDK"');
  return match[1];
}

describe('README SDK example', () => {
  it('runs as written and shows routing, fallback, streaming and the Go primitives', async () => {
    const directory = await mkdtemp(join(root, 'test', '.readme-'));
    try {
      const file = join(directory, 'example.ts');
      await writeFile(file, await readmeSdkExample());
      const { stdout } = await run(process.execPath, ['--conditions=switchboard-source', '--import', 'tsx', file], {
        cwd: root,
        timeout: 30_000,
      });
      expect(stdout).toMatch(/steady after \d attempt\(s\): Echo: Hello/);
      expect(stdout).toMatch(/steady streamed: Echo: Hello/);
      expect(stdout).toContain("id: 'gpt-4o-mini', ownedBy: 'flaky'");
      expect(stdout).toContain("circuitState: 'closed'");
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
