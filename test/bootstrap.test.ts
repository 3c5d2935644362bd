import { describe, expect, it } from 'vitest';
import { bootstrap } from '../bootstrap.ts';
import { parseCommandLine } from '../cli/command-line.ts';
import { ConfigError } from '../src/config/config-error.ts';

describe('bootstrap', () => {
  it('builds the app from a config object without listening', async () => {
    const { app, router, close } = await bootstrap({
      config: { providers: [{ name: 'mock', type: 'mock', models: ['demo'] }] },
    });
    try {
      const response = await app.request('/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'demo', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-switchboard-provider')).toBe('mock');
      expect(router.registeredModels()).toEqual([{ id: 'demo', ownedBy: 'mock' }]);
    } finally {
      await close();
    }
  });

  it('serves the embedded demo config by default', async () => {
    const { app, close } = await bootstrap({ env: {} });
    try {
      const models = (await (await app.request('/v1/models')).json()) as { data: Array<{ id: string }> };
      expect(models.data.map((model) => model.id)).toEqual(['claude-sonnet-4-5', 'demo', 'gpt-4o', 'gpt-4o-mini']);
    } finally {
      await close();
    }
  });

  it('refuses an unknown strategy and names the field', async () => {
    const error = await bootstrap({ config: { router: { strategy: 'fastest' as never } } }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]!.path).toBe('router.strategy');
  });

  it('reports a provider that cannot be created under its config path', async () => {
    const error = await bootstrap({
      config: { providers: [{ name: 'claude', type: 'anthropic', models: ['c'] }] },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]).toMatchObject({
      path: 'providers[0]',
      message: expect.stringContaining('apiKey'),
    });
  });
});

describe('parseCommandLine', () => {
  it('reads --config, --port and --host in both forms', () => {
    expect(parseCommandLine(['--config', 'a.yaml', '--port=0', '--host', '0.0.0.0'])).toEqual({
      configPath: 'a.yaml',
      port: 0,
      host: '0.0.0.0',
      help: false,
      version: false,
    });
    expect(parseCommandLine(['--config=b.json'])).toEqual({ configPath: 'b.json', help: false, version: false });
    expect(parseCommandLine(['--version'])).toMatchObject({ version: true });
  });

  it('refuses unknown flags, missing values and bad ports', () => {
    expect(() => parseCommandLine(['--verbose'])).toThrow(/unknown argument/);
    expect(() => parseCommandLine(['--config'])).toThrow(/needs a value/);
    expect(() => parseCommandLine(['--port', 'http'])).toThrow(/--port/);
    expect(() => parseCommandLine(['--port', '70000'])).toThrow(/--port/);
  });
});
