import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startHarness, userRequest, type Harness } from './support/gateway-harness.ts';
import { errorScript, streamScript } from './support/openai-upstream.ts';

const DASHBOARD = new URL('../deploy/grafana/switchboard-dashboard.json', import.meta.url);
const ALERTS = new URL('../deploy/prometheus/switchboard-alerts.yml', import.meta.url);

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless']);
const MODIFIERS = new Set(['bool', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads: identifiers that are not functions, aggregation
 * keywords, label names (inside `{}` or `by (…)`), strings, durations or Grafana variables.
 */
export function metricNamesOf(expression: string): string[] {
  const stripped = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.])([A-Za-z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (call !== undefined || KEYWORDS.has(name!) || MODIFIERS.has(name!.toLowerCase())) continue;
    names.add(name!);
  }
  return [...names];
}

/** Every `expr` string anywhere in a JSON-like value. */
function expressionsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) expressionsIn(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === 'expr' && typeof child === 'string') found.push(child);
      else expressionsIn(child, found);
    }
  }
  return found;
}

/** Sample names a Prometheus text exposition can produce, from its `# TYPE` lines. */
function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

describe('deploy/: Grafana dashboard and Prometheus alert rules', () => {
  it('reads metric names out of PromQL, and only those', () => {
    expect(
      metricNamesOf(
        'histogram_quantile(0.99, sum by (le, provider) (rate(a_seconds_bucket{state="open", x=~"5.."}[$__rate_interval]))) / on (job) group_left (x) b_total offset 5m > bool 1e3',
      ).sort(),
    ).toEqual(['a_seconds_bucket', 'b_total']);
  });

  it('queries only metrics the running gateway exports', async () => {
    harness = await startHarness({
      upstreams: [{ name: 'primary' }, { name: 'secondary' }],
      server: { adminToken: 'admin-secret' },
    });
    harness.upstreams.primary!.enqueue(errorScript(500));
    await harness.client.chat.completions.create(userRequest());
    for (const upstream of Object.values(harness.upstreams)) upstream.enqueue(streamScript(['Hel', 'lo']));
    const stream = await harness.client.chat.completions.create({ ...userRequest(), stream: true });
    for await (const chunk of stream) void chunk;
    const exposition = await (await fetch(`${harness.url}/metrics`)).text();
    const exported = exportedNames(exposition);
    expect(exported.has('circuit_state_changes_total')).toBe(true);

    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Array<{ title: string }> };
    const rules = parse(await readFile(ALERTS, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string }> }> };
    const dashboardExpressions = expressionsIn(dashboard);
    const ruleExpressions = expressionsIn(rules);
    expect(dashboardExpressions.length).toBeGreaterThanOrEqual(15);
    expect(rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert))).toEqual([
      'SwitchboardCircuitOpen',
      'SwitchboardHighFallbackRatio',
      'SwitchboardHighErrorRatio',
      'SwitchboardNoProviderReady',
    ]);

    const queried = new Map<string, string>();
    for (const expression of [...dashboardExpressions, ...ruleExpressions])
      for (const name of metricNamesOf(expression)) queried.set(name, expression);
    const missing = [...queried].filter(([name]) => !exported.has(name));
    expect(missing).toEqual([]);
    // The panels the operator needs, each backed by its metric.
    for (const name of [
      'circuit_state_changes_total',
      'switchboard_provider_circuit_state',
      'switchboard_requests_total',
      'switchboard_request_duration_seconds_bucket',
      'switchboard_time_to_first_token_seconds_bucket',
      'switchboard_fallbacks_total',
      'switchboard_tokens_total',
      'switchboard_ready',
    ])
      expect(queried.has(name), name).toBe(true);
  });
});
