/** Reading the recorded-shape fixtures of the translation layers (tests only). */
import { readFileSync } from 'node:fs';
import type { ChatCompletionChunk } from '../../contract/chat-types.ts';

const FOLDER = new URL('../fixtures/', import.meta.url);

/** A fixture's text. */
export function translateFixtureText(name: string): string {
  return readFileSync(new URL(name, FOLDER), 'utf8');
}

/** A JSON fixture, parsed. */
export function translateFixtureJson<T = any>(name: string): T {
  return JSON.parse(translateFixtureText(name)) as T;
}

/** The chunks of an SSE fixture of Chat Completions (`data:` lines, `[DONE]` left out). */
export function chatChunksOf(name: string): ChatCompletionChunk[] {
  return translateFixtureText(name)
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
    .map((line) => JSON.parse(line.slice(6)) as ChatCompletionChunk);
}

/** An async iterable over `items` (an upstream stream in a test). */
export async function* streamOf<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}
