#!/usr/bin/env node
// `npm start`: the local walkthrough. The only file of the walkthrough that touches `process`.
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatHelp, parseCommandLine, stringFlag, type CommandSpec } from '../lib/cli/command-line.js';
import { createLogger } from '../lib/log/logger.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import { startLocalMesh, type LocalMesh } from './local-mesh.js';
import { runWalkthrough } from './walkthrough.js';
import { startZoneConsoles, type ZoneConsole } from './zone-consoles.js';

const spec: CommandSpec = {
  name: 'npm start --',
  summary:
    'Starts two Accord trust zones on 127.0.0.1 (hub PKI + contract repository, and per zone a PKI, a contract\n' +
    'provider and a demo HTTPS service) and shows a trust contract turning cross-zone mTLS from rejected to\n' +
    'accepted and back. Exits non-zero if any step does not behave as expected.',
  flags: {
    serve: {
      type: 'boolean',
      description: 'Keep everything running after the walkthrough, for accordctl and grpcurl.',
    },
    dir: {
      type: 'string',
      valueName: 'DIR',
      description: 'State directory (default: a new temporary directory).',
    },
    'log-level': {
      type: 'string',
      valueName: 'LEVEL',
      description: 'Component log level: debug, info, warn (default), error.',
    },
  },
};

async function main(): Promise<number> {
  const commandLine = parseCommandLine(spec, process.argv.slice(2));
  if (commandLine.isHelpRequested) {
    process.stdout.write(formatHelp(spec));
    return 0;
  }
  const level = stringFlag(commandLine.values, 'log-level') ?? 'warn';
  if (!['debug', 'info', 'warn', 'error'].includes(level))
    throw new Error(`--log-level must be debug, info, warn or error`);
  const logger = createLogger({ component: 'walkthrough', level: level as 'warn', format: 'text' });
  const isServing = commandLine.values.serve === true;
  const requestedDirectory = stringFlag(commandLine.values, 'dir');
  const directory = requestedDirectory ?? (await mkdtemp(join(tmpdir(), 'accord-walkthrough-')));
  const out = process.stdout;

  out.write(`Accord local walkthrough: two trust zones on 127.0.0.1, state in ${directory}\n\n`);
  const mesh = await startLocalMesh(directory, logger);
  out.write(describeMesh(mesh));

  const accordctlPath = resolve(fileURLToPath(import.meta.url), '../../cli/main.js');
  let results;
  try {
    results = await runWalkthrough({ mesh, accordctlPath, out });
  } catch (error) {
    await mesh.close();
    throw error;
  }
  const failed = results.filter((result) => !result.isAsExpected);
  out.write(
    failed.length === 0
      ? `All ${results.length} steps behaved as expected.\n`
      : `${failed.length} of ${results.length} steps did not behave as expected: ${failed.map((r) => r.title).join(', ')}\n`,
  );

  if (isServing) {
    const consoles = await startZoneConsoles(mesh, accordctlPath, out);
    out.write(serveInstructions(mesh, accordctlPath, consoles.consoles));
    await new Promise<void>((resolveStop) => {
      process.once('SIGINT', resolveStop);
      process.once('SIGTERM', resolveStop);
    });
    await consoles.stop();
  }
  await mesh.close();
  if (requestedDirectory === undefined && !isServing) await rm(directory, { recursive: true, force: true });
  return failed.length === 0 ? 0 : 1;
}

function describeMesh(mesh: LocalMesh): string {
  const rows = [
    ['contract repository', mesh.repositoryAddress, 'spiffe://hub.example/accord/contract-repo'],
    ...mesh.zones.flatMap((zone) => [
      [`${zone.name} PKI`, zone.pkiAddress, `spiffe://${zone.trustDomain}/accord/pki`],
      [`${zone.name} service`, `127.0.0.1:${zone.service.port}`, `spiffe://${zone.trustDomain}/demo/service`],
      [`${zone.name} provider`, '', `spiffe://${zone.trustDomain}/accord/contract-provider`],
      ['', `writes bundles to ${zone.bundleDirectory}`, ''],
    ]),
  ];
  return (
    rows
      .map(
        ([name = '', where = '', id = '']) => `  ${name.padEnd(21)}${where.padEnd(18)}${id}`.trimEnd() + '\n',
      )
      .join('') + '\n'
  );
}

function serveInstructions(mesh: LocalMesh, accordctlPath: string, consoles: readonly ZoneConsole[]): string {
  const [zoneA, zoneB] = mesh.zones;
  const as = (zone: typeof zoneA) => `ACCORDCTL_CONFIG=${zone.adminConfigFile} node ${accordctlPath}`;
  return [
    '',
    "Each zone's web console (docs/console.md); each login URL works once:",
    ...consoles.map((entry) => `  ${entry.zone}: ${entry.loginUrl}`),
    '',
    'Everything keeps running; stop with Ctrl-C. Try:',
    `  ${as(zoneA)} contracts list`,
    `  ${as(zoneB)} contracts show zone-a-zone-b`,
    `  ${as(zoneA)} audit verify`,
    `  node ${accordctlPath} bundle show --dir ${zoneA.bundleDirectory}`,
    `  grpcurl -insecure ${mesh.repositoryAddress} list`,
    `  grpcurl -insecure -d '{"service":"accord.contracts.v1.ContractService"}' ${mesh.repositoryAddress} grpc.health.v1.Health/Check`,
    `  grpcurl -insecure ${zoneB.pkiAddress} accord.pki.v1.PkiService/GetBundle`,
    '',
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`walkthrough failed: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
