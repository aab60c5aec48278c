import type { Clock } from '../../lib/time/clock.js';

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #nowMs: number;

  constructor(start: Date = new Date('2026-01-01T00:00:00Z')) {
    this.#nowMs = start.getTime();
  }

  now(): Date {
    return new Date(this.#nowMs);
  }

  advance(milliseconds: number): void {
    this.#nowMs += milliseconds;
  }
}
