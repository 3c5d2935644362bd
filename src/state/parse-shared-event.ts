import type { SharedStateEvent } from './shared-state.ts';

const CIRCUIT_STATES = new Set(['closed', 'open', 'half_open']);
const ADMIN_ACTIONS = new Set(['enable', 'disable', 'reset', 'remove', 'add']);
const MAX_NAME_LENGTH = 512;

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_NAME_LENGTH;
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * Checks an event that came from outside this process (Redis, a worker's IPC message) and
 * returns it with only its known fields, or undefined when it is not a well-formed event.
 */
export function parseSharedEvent(value: unknown): SharedStateEvent | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const event = value as Record<string, unknown>;
  if (!isName(event.provider)) return undefined;
  const provider = event.provider;
  switch (event.type) {
    case 'circuit':
      if (!isName(event.model) || !CIRCUIT_STATES.has(event.state as string) || !isTime(event.openUntil))
        return undefined;
      return {
        type: 'circuit',
        provider,
        model: event.model,
        state: event.state as 'closed' | 'open' | 'half_open',
        openUntil: event.openUntil,
      };
    case 'cool_down':
      if (!isName(event.model) || !isTime(event.until)) return undefined;
      return { type: 'cool_down', provider, model: event.model, until: event.until };
    case 'admin': {
      const action = event.action;
      if (typeof action !== 'string' || !ADMIN_ACTIONS.has(action)) return undefined;
      if (action === 'add') {
        if (typeof event.entry !== 'object' || event.entry === null || Array.isArray(event.entry)) return undefined;
        return { type: 'admin', action, provider, entry: event.entry as Record<string, unknown> };
      }
      return { type: 'admin', action: action as 'enable' | 'disable' | 'reset' | 'remove', provider };
    }
    default:
      return undefined;
  }
}

/** Parses a JSON text of at most `maxBytes` characters into an object, or undefined. */
export function parseBoundedJson(text: string, maxBytes = 256 * 1024): unknown {
  if (text.length > maxBytes) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
