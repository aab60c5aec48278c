import { watch, type FSWatcher } from 'node:fs';

interface PendingCondition {
  readonly isMet: () => boolean;
  readonly resolve: (metAtMs: number) => void;
}

/**
 * Watches one directory with `fs.watch` (inotify on Linux) and resolves conditions on its content
 * the moment a change makes them true. Measuring with file-system events instead of polling keeps
 * the observer from adding its own polling interval to every latency it reports.
 */
export class DirectoryObserver {
  readonly #watcher: FSWatcher;
  readonly #pending = new Set<PendingCondition>();

  constructor(directory: string) {
    this.#watcher = watch(directory, () => {
      this.#check();
    });
  }

  /**
   * Resolves with `performance.now()` at the first moment `isMet` holds: checked at once and again
   * after every change in the directory. Rejects after `timeoutMs`, naming `what`.
   */
  until(isMet: () => boolean, what: string, timeoutMs: number): Promise<number> {
    if (isMet()) return Promise.resolve(performance.now());
    return new Promise((resolve, reject) => {
      const condition: PendingCondition = {
        isMet,
        resolve: (metAtMs) => {
          clearTimeout(timer);
          resolve(metAtMs);
        },
      };
      const timer = setTimeout(() => {
        this.#pending.delete(condition);
        reject(new Error(`${what}: not observed within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.add(condition);
    });
  }

  close(): void {
    this.#watcher.close();
  }

  #check(): void {
    for (const condition of this.#pending) {
      if (!condition.isMet()) continue;
      this.#pending.delete(condition);
      condition.resolve(performance.now());
    }
  }
}
