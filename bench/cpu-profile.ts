/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and ranks functions by self time.
 */

/** The parts of a V8 CPU profile this module reads. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Which samples to count. */
export interface SelfTimeOptions {
  /** Count only samples taken at or after this time (µs, the clock of `process.hrtime`, as V8 uses); e.g. when the load started, to leave start-up out. */
  fromMicroseconds?: number;
  /** Count only samples taken before this time (same clock). */
  toMicroseconds?: number;
}

/** Frames that are not work: left out of the ranking and of the shares. */
const idleFrames = new Set(['(idle)', '(root)']);

/** One function's share of the samples. */
export interface SelfTimeEntry {
  /** `name (file:line)`, with the path shortened to the repository or package. */
  location: string;
  selfMilliseconds: number;
  /** Share of the busy (non-idle) samples counted, 0..100. */
  percent: number;
}

/** Shortens a profile URL: `file:///…/node_modules/hono/dist/x.js` → `hono/dist/x.js`, repository paths relative, `node:` kept. */
export function shortenUrl(url: string): string {
  if (url === '') return '';
  const withoutScheme = url.replace(/^file:\/\//, '');
  const packageIndex = withoutScheme.lastIndexOf('/node_modules/');
  if (packageIndex >= 0) return withoutScheme.slice(packageIndex + '/node_modules/'.length);
  const repositoryMatch = /\/(src|providers|bench|bootstrap\.ts)(\/.*)?$/.exec(withoutScheme);
  return repositoryMatch === null ? withoutScheme : withoutScheme.slice(repositoryMatch.index + 1);
}

/**
 * The `top` functions by self time, idle time left out. Time per sample comes from `timeDeltas`
 * when present, else the profile's duration spread evenly over the hit counts (then the
 * time window of `options` cannot apply). Line numbers are left out: code run through tsx is
 * whitespace-minified, so every function sits on line 1.
 *
 * @example
 * ```ts
 * topSelfTime(JSON.parse(readFileSync('CPU.cpuprofile', 'utf8')), 10);
 * ```
 */
export function topSelfTime(profile: CpuProfile, top: number, options: SelfTimeOptions = {}): SelfTimeEntry[] {
  const selfMicroseconds = new Map<number, number>();
  if (
    profile.samples !== undefined &&
    profile.timeDeltas !== undefined &&
    profile.samples.length === profile.timeDeltas.length
  ) {
    const from = options.fromMicroseconds ?? Number.NEGATIVE_INFINITY;
    const to = options.toMicroseconds ?? Number.POSITIVE_INFINITY;
    let timestamp = profile.startTime;
    for (let index = 0; index < profile.samples.length; index += 1) {
      // timeDeltas[i] is the gap before sample i; attribute the gap after it (the next delta) to it.
      timestamp += profile.timeDeltas[index] as number;
      if (timestamp < from || timestamp >= to) continue;
      const nodeId = profile.samples[index] as number;
      const delta = profile.timeDeltas[index + 1] ?? 0;
      selfMicroseconds.set(nodeId, (selfMicroseconds.get(nodeId) ?? 0) + Math.max(0, delta));
    }
  } else {
    const totalHits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
    const perHit = totalHits === 0 ? 0 : (profile.endTime - profile.startTime) / totalHits;
    for (const node of profile.nodes) selfMicroseconds.set(node.id, (node.hitCount ?? 0) * perHit);
  }
  const byLocation = new Map<string, number>();
  for (const node of profile.nodes) {
    const microseconds = selfMicroseconds.get(node.id) ?? 0;
    const { functionName, url } = node.callFrame;
    if (microseconds === 0 || idleFrames.has(functionName)) continue;
    const file = shortenUrl(url);
    const location = file === '' ? functionName || '(anonymous)' : `${functionName || '(anonymous)'} (${file})`;
    byLocation.set(location, (byLocation.get(location) ?? 0) + microseconds);
  }
  const total = [...byLocation.values()].reduce((sum, value) => sum + value, 0);
  return [...byLocation.entries()]
    .sort((left, right) => right[1] - left[1])
    .slice(0, top)
    .map(([location, microseconds]) => ({
      location,
      selfMilliseconds: microseconds / 1000,
      percent: total === 0 ? 0 : (microseconds / total) * 100,
    }));
}

/** Sums self time by file (or by `(program)`, `(garbage collector)`, …): where the time goes, coarsely. */
export function selfTimeByFile(profile: CpuProfile, top: number, options: SelfTimeOptions = {}): SelfTimeEntry[] {
  const entries = topSelfTime(profile, Number.MAX_SAFE_INTEGER, options);
  const byFile = new Map<string, number>();
  for (const entry of entries) {
    const match = / \(([^()]*)\)$/.exec(entry.location);
    const file = match === null ? entry.location : (match[1] as string);
    byFile.set(file, (byFile.get(file) ?? 0) + entry.selfMilliseconds);
  }
  const total = [...byFile.values()].reduce((sum, value) => sum + value, 0);
  return [...byFile.entries()]
    .sort((left, right) => right[1] - left[1])
    .slice(0, top)
    .map(([location, milliseconds]) => ({
      location,
      selfMilliseconds: milliseconds,
      percent: total === 0 ? 0 : (milliseconds / total) * 100,
    }));
}
