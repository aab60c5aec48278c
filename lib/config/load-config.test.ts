import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { TemporaryDirectories } from '../../test/support/temporary-directories.js';
import { durationMs, withUnitNames } from './config-fields.js';
import { InvalidConfigError, loadConfig, parseConfig } from './load-config.js';

const schema = z
  .strictObject({
    listen: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8443),
      })
      .prefault({}),
    resyncInterval: durationMs({ min: '1s' }).prefault('1m'),
  })
  .transform(withUnitNames({ resyncInterval: 'resyncIntervalMs' }));

const directories = new TemporaryDirectories('accord-config');
afterAll(() => directories.removeAll());

async function configFile(content: string): Promise<string> {
  const path = join(await directories.make(), 'config.yaml');
  await writeFile(path, content);
  return path;
}

describe('loadConfig', () => {
  it('uses the schema defaults when there is no file and no flag', async () => {
    await expect(loadConfig(schema, 'TestConfig', {})).resolves.toEqual({
      listen: { host: '127.0.0.1', port: 8443 },
      resyncIntervalMs: 60_000,
    });
  });

  it('lets the file override defaults and flags override the file, field by field', async () => {
    const file = await configFile(
      'apiVersion: accord.dev/v1alpha1\nkind: TestConfig\nlisten:\n  port: 9000\nresyncInterval: 5s\n',
    );
    await expect(
      loadConfig(schema, 'TestConfig', {
        file,
        overrides: { resyncInterval: '1s', listen: { host: undefined } },
      }),
    ).resolves.toEqual({ listen: { host: '127.0.0.1', port: 9000 }, resyncIntervalMs: 1000 });
  });

  it('keeps the file’s nested values when the flags for them are unset', async () => {
    const file = await configFile(
      'apiVersion: accord.dev/v1alpha1\nkind: TestConfig\nlisten:\n  host: 0.0.0.0\n  port: 9000\n',
    );
    await expect(
      loadConfig(schema, 'TestConfig', {
        file,
        overrides: { listen: { host: undefined, port: undefined }, resyncInterval: undefined },
      }),
    ).resolves.toEqual({ listen: { host: '0.0.0.0', port: 9000 }, resyncIntervalMs: 60_000 });
  });

  it.each([
    ['a wrong apiVersion', 'apiVersion: v1\nkind: TestConfig\n', /apiVersion must be accord.dev\/v1alpha1/],
    ['a wrong kind', 'apiVersion: accord.dev/v1alpha1\nkind: Other\n', /kind must be TestConfig/],
    ['a list instead of a mapping', '- 1\n', /must hold a mapping/],
    ['an unknown field', 'apiVersion: accord.dev/v1alpha1\nkind: TestConfig\nlistn: {}\n', /listn/],
    [
      'a mistyped field',
      'apiVersion: accord.dev/v1alpha1\nkind: TestConfig\nlisten:\n  port: "x"\n',
      /listen\.port/,
    ],
  ])('rejects a file with %s, naming the problem', async (_case, content, message) => {
    const file = await configFile(content);
    const load = loadConfig(schema, 'TestConfig', { file });
    await expect(load).rejects.toThrow(InvalidConfigError);
    await expect(load).rejects.toThrow(message);
  });

  it('rejects a missing file with its path', async () => {
    await expect(loadConfig(schema, 'TestConfig', { file: '/nonexistent/accord.yaml' })).rejects.toThrow(
      /cannot read config file \/nonexistent\/accord.yaml/,
    );
  });

  it('names the field of a flag value out of range', () => {
    expect(() => parseConfig(schema, { listen: { port: 70000 } })).toThrow(/listen\.port/);
  });
});
