#!/usr/bin/env node
import 'reflect-metadata';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { nodeCliEnvironment } from './node-cli-environment.js';
import { runCli } from './run-cli.js';

// The only file of accordctl that touches `process`: argv, env, stdout/stderr and the exit code.
const environment = nodeCliEnvironment({
  stdout: { write: (text) => process.stdout.write(text) },
  stderr: { write: (text) => process.stderr.write(text) },
  stateDirectory: process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'),
  configPathFromEnvironment: process.env.ACCORDCTL_CONFIG,
  version: process.env.npm_package_version ?? '0.1.0',
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
