import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../lib/fs/atomic-write.js';
import { WithdrawnContracts } from './withdrawn-contracts.js';

/**
 * Where the provider keeps its memory of withdrawn contracts, durably: a file in local mode
 * (`FileWithdrawnContractStore`), a ConfigMap in cluster mode (`ConfigMapWithdrawnContractStore`).
 * `load` returns an empty memory only when none was ever stored and throws when one exists but
 * cannot be read; `save` resolves once the memory is durable.
 */
export interface WithdrawnContractStore {
  load(): Promise<WithdrawnContracts>;
  save(memory: WithdrawnContracts): Promise<void>;
}

/** Local mode's memory: one JSON file, replaced atomically (temp file, fsync, rename, fsync dir). */
export class FileWithdrawnContractStore implements WithdrawnContractStore {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  async load(): Promise<WithdrawnContracts> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new WithdrawnContracts();
      throw error;
    }
    return WithdrawnContracts.parse(text, this.#path);
  }

  async save(memory: WithdrawnContracts): Promise<void> {
    await mkdir(dirname(this.#path), { recursive: true });
    await writeFileAtomic(this.#path, memory.serialize(), { mode: 0o600 });
  }
}
