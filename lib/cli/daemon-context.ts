import { Registry, collectDefaultMetrics } from 'prom-client';
import { createLogger, type LogFormat, type LogLevel, type Logger } from '../log/logger.js';
import { systemClock, type Clock } from '../time/clock.js';

/** What a daemon's start function gets from its `main.ts`. */
export interface DaemonContext {
  readonly logger: Logger;
  /** Holds the process metrics (CPU, memory, event loop lag) next to the component's own. */
  readonly registry: Registry;
  readonly clock: Clock;
}

/** The logger, metrics registry and clock of a daemon named `component`, as its config sets them. */
export function daemonContext(component: string, log: { level: LogLevel; format: LogFormat }): DaemonContext {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return { logger: createLogger({ component, ...log }), registry, clock: systemClock };
}
