import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configApiVersion } from '../../lib/config/load-config.js';
import { translatorConfigKind } from '../../translator/translator-config.js';
import { startManagedProcess } from '../support/managed-process.js';

/** What the two-zone chain needs of a translator, in this process or in its own. */
export interface ChainTranslator {
  /** The ext_authz port. */
  readonly port: number;
  readonly opsPort: number;
  close(): Promise<void>;
}

/** The built translator entry point; only the built tree (dist/) has it. */
const translatorMain = fileURLToPath(new URL('../../translator/main.js', import.meta.url));

const startDeadlineMs = 20_000;

/**
 * Starts `accord-translator` as its own Node process from the built tree, as it runs in a pod next
 * to Envoy, with `config` (a TranslatorConfig body; ports 0) written to `directory`. Both ports
 * are read from its log lines, so no port is picked by guessing. Only the benchmark uses this:
 * under jest the sources are TypeScript and there is no `translator/main.js` to run.
 */
export async function startTranslatorProcess(
  config: Record<string, unknown>,
  directory: string,
): Promise<ChainTranslator> {
  await access(translatorMain).catch(() => {
    throw new Error(
      `${translatorMain} does not exist: translator processes need the built tree (npm run build)`,
    );
  });
  const configFile = join(directory, 'translator.json');
  await writeFile(
    configFile,
    JSON.stringify({
      apiVersion: configApiVersion,
      kind: translatorConfigKind,
      ...config,
      log: { format: 'json' },
    }),
  );
  const ports = new Map<string, number>();
  let pending = '';
  const child = startManagedProcess(
    'accord-translator',
    process.execPath,
    [translatorMain, '--config', configFile],
    {
      onOutput: (chunk) => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const entry = parseLogLine(line);
          const port = Number(/:(\d+)$/.exec(entry?.address ?? '')?.[1]);
          if (entry?.message !== undefined && Number.isInteger(port)) ports.set(entry.message, port);
        }
      },
    },
  );
  const deadline = Date.now() + startDeadlineMs;
  const listening = (): [number, number] | undefined => {
    const port = ports.get('ext_authz HTTP server listening') ?? ports.get('ext_authz server listening');
    const opsPort = ports.get('ops server listening');
    return port === undefined || opsPort === undefined ? undefined : [port, opsPort];
  };
  for (;;) {
    const found = listening();
    if (found !== undefined) return { port: found[0], opsPort: found[1], close: () => child.stop() };
    const reason = child.exitReason();
    if (reason !== undefined || Date.now() > deadline) {
      await child.stop();
      throw new Error(reason ?? `accord-translator did not listen within ${startDeadlineMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function parseLogLine(line: string): { message?: string; address?: string } | undefined {
  try {
    return JSON.parse(line) as { message?: string; address?: string };
  } catch {
    return undefined;
  }
}
