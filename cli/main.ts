#!/usr/bin/env node
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodeCliEnvironment } from './node-cli-environment.js';
import { runCli } from './run-cli.js';

// The only file of accordctl that touches `process`: argv, env, streams, signals and the exit code.
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
const interruption = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => interruption.abort());

const environment = nodeCliEnvironment({
  stdout: { write: (text) => process.stdout.write(text) },
  stderr: { write: (text) => process.stderr.write(text) },
  stdin: process.stdin,
  interrupted: interruption.signal,
  stateDirectory: process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'),
  configDirectory: process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'),
  configPathFromEnvironment: process.env.ACCORDCTL_CONFIG,
  version,
  consoleAssetDirectory: join(dirname(fileURLToPath(import.meta.url)), 'console', 'web'),
});

runCli(process.argv.slice(2), environment).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`accordctl: ${String(error)}\n`);
    process.exitCode = 1;
  },
);
