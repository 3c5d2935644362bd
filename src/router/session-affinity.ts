/** Settings of session affinity (`router.affinity`). */
export interface AffinityOptions {
  /** Request header carrying the session key (the gateway reads it). Default `x-session-id`. */
  header?: string;
  /** A session unseen for this long is forgotten, ms. Default 3600000 (one hour). */
  ttlMs?: number;
  /** Sessions remembered at most; the least recently seen go first. Default 100000. */
  maxSessions?: number;
}

/** `router.affinity` with its defaults applied. */
export type ResolvedAffinityOptions = Required<AffinityOptions>;

/** Defaults of `router.affinity`. */
export const DEFAULT_AFFINITY: ResolvedAffinityOptions = Object.freeze({
  header: 'x-session-id',
  ttlMs: 3_600_000,
  maxSessions: 100_000,
});

/** Session keys longer than this are cut (a key is an identifier, not a payload). */
const MAX_KEY_LENGTH = 256;

interface Assignment {
  provider: string;
  lastSeen: number;
}

/**
 * Sticks each session to one provider, so provider-side prompt caches hit: a new session (or
 * one whose provider cannot serve now) gets the candidate with the highest rendezvous hash of
 * (session, provider), and keeps it while that provider is a candidate. Rendezvous hashing moves
 * only the sessions of a provider that drops out; every other session stays where it is.
 * Bounded: sessions unseen for `ttlMs` are forgotten, and at most `maxSessions` are kept.
 */
export class SessionAffinity {
  readonly options: ResolvedAffinityOptions;
  readonly #sessions = new Map<string, Assignment>();
  readonly #nameHashes = new Map<string, number>();

  constructor(options: AffinityOptions = {}) {
    this.options = { ...DEFAULT_AFFINITY, ...options };
  }

  /** Sessions remembered now. */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Index in `candidates` of the provider for `sessionKey` at `now`, remembered for next time.
   * Candidates are the providers that can serve the request now (never empty).
   */
  choose(sessionKey: string, candidates: ReadonlyArray<{ readonly name: string }>, now: number): number {
    const key = sessionKey.length > MAX_KEY_LENGTH ? sessionKey.slice(0, MAX_KEY_LENGTH) : sessionKey;
    const sessions = this.#sessions;
    const known = sessions.get(key);
    if (known !== undefined && now - known.lastSeen <= this.options.ttlMs) {
      for (let index = 0; index < candidates.length; index += 1) {
        if ((candidates[index] as { name: string }).name === known.provider) {
          this.#touch(key, known, now);
          return index;
        }
      }
    }
    const chosen = this.rendezvous(key, candidates);
    this.#touch(key, { provider: (candidates[chosen] as { name: string }).name, lastSeen: now }, now);
    return chosen;
  }

  /** Index of the candidate with the highest rendezvous hash for `key` (no memory involved). */
  rendezvous(key: string, candidates: ReadonlyArray<{ readonly name: string }>): number {
    const keyHash = hashString(key);
    let bestIndex = 0;
    let bestScore = -1;
    for (let index = 0; index < candidates.length; index += 1) {
      const score = mix(keyHash ^ this.#nameHash((candidates[index] as { name: string }).name));
      if (score > bestScore) {
        bestScore = score;
        bestIndex = index;
      }
    }
    return bestIndex;
  }

  /** Forgets every session (e.g. after a reload). */
  clear(): void {
    this.#sessions.clear();
  }

  #touch(key: string, assignment: Assignment, now: number): void {
    const sessions = this.#sessions;
    // Re-inserting keeps the map in least-recently-seen order, so the oldest are evicted first.
    sessions.delete(key);
    assignment.lastSeen = now;
    sessions.set(key, assignment);
    if (sessions.size > this.options.maxSessions) this.#evict(now);
  }

  #evict(now: number): void {
    const sessions = this.#sessions;
    for (const [key, assignment] of sessions) {
      if (sessions.size <= this.options.maxSessions && now - assignment.lastSeen <= this.options.ttlMs) break;
      sessions.delete(key);
    }
  }

  #nameHash(name: string): number {
    let hash = this.#nameHashes.get(name);
    if (hash === undefined) {
      if (this.#nameHashes.size >= 100_000) this.#nameHashes.clear();
      hash = mix(hashString(name) ^ 0x5bd1e995);
      this.#nameHashes.set(name, hash);
    }
    return hash;
  }
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** murmur3's 32-bit finaliser: every input bit flips each output bit with probability ½. */
function mix(value: number): number {
  let hash = value >>> 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * The session key of a request body, when it names one: OpenAI's `prompt_cache_key` or `user`,
 * or Anthropic's `metadata.user_id`. Non-string or empty values are no key.
 */
export function sessionKeyOfBody(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as { prompt_cache_key?: unknown; user?: unknown; metadata?: { user_id?: unknown } | null };
  for (const value of [record.prompt_cache_key, record.user, record.metadata?.user_id]) {
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}
