/**
 * Loading the recorded-shape fixtures of `providers/anthropic/fixtures/` and cutting them into
 * uneven TCP-sized pieces, so that parsers see events split anywhere.
 */
import { readFileSync } from 'node:fs';

const FIXTURES = new URL('../anthropic/fixtures/', import.meta.url);

/** The text of a fixture file. */
export function fixtureText(fileName: string): string {
  return readFileSync(new URL(fileName, FIXTURES), 'utf8');
}

/** A JSON fixture, parsed. */
export function fixtureJson<T = any>(fileName: string): T {
  return JSON.parse(fixtureText(fileName)) as T;
}

/** Cuts text into byte pieces of `size` bytes (splitting UTF-8 characters and lines anywhere). */
export function splitBytes(text: string, size: number): Uint8Array[] {
  const bytes = Buffer.from(text, 'utf8');
  const pieces: Uint8Array[] = [];
  for (let start = 0; start < bytes.length; start += size) pieces.push(bytes.subarray(start, start + size));
  return pieces;
}
