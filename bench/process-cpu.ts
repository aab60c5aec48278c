import { readdirSync, readFileSync } from 'node:fs';

/** CPU time (user + system) used so far, in milliseconds. */
export interface CpuTimes {
  /** The benchmark process itself: on the translator path, the load generator, the app and (in process) the translators. */
  readonly selfMs: number;
  /** Its live direct children (on the translator path, the two Envoys and any translator processes), summed. */
  readonly childrenMs: number;
  /** The same children by command name (`envoy`, `node`, `wrk`…): whose CPU a request costs. */
  readonly childrenByCommandMs: Readonly<Record<string, number>>;
}

/** Kernel clock ticks per second of `/proc/<pid>/stat` (USER_HZ, 100 on Linux everywhere Accord runs). */
const ticksPerSecond = 100;

/**
 * The CPU time of the process `pid` (from `selfMicroseconds`, i.e. `process.cpuUsage()`) and of
 * its live direct children, read from Linux `/proc`. CPU per request is the figure a shared
 * machine does not distort much: other people's load stretches wall time, not our CPU time.
 */
export function readCpuTimes(pid: number, selfMicroseconds: { user: number; system: number }): CpuTimes {
  let childrenMs = 0;
  const childrenByCommandMs: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(entry);
    if (stat?.parentPid !== pid) continue;
    childrenMs += stat.cpuMs;
    childrenByCommandMs[stat.command] = (childrenByCommandMs[stat.command] ?? 0) + stat.cpuMs;
  }
  return {
    selfMs: (selfMicroseconds.user + selfMicroseconds.system) / 1000,
    childrenMs,
    childrenByCommandMs,
  };
}

/**
 * The CPU time (user + system) the process `pid` has used so far, in milliseconds, from
 * `/proc/<pid>/stat`: how a benchmark charges a server process (the repository) for its calls.
 * Throws when the process is gone.
 */
export function readProcessCpuMs(pid: number): number {
  const stat = readProcStat(String(pid));
  if (stat === undefined) throw new Error(`process ${pid} is gone`);
  return stat.cpuMs;
}

/**
 * The CPU time (user + system) of every child this process has waited for, with the children
 * those waited for, in milliseconds (`cutime` + `cstime` of `/proc/self/stat`): what a finished
 * child process tree cost, e.g. a build script and everything it ran.
 */
export function readWaitedChildrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the parenthesised command name: state(3) … cutime(16) cstime(17).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / ticksPerSecond;
}

/** Command name, parent and CPU time of `/proc/<pid>/stat`, or `undefined` when the process exited meanwhile. */
function readProcStat(pid: string): { command: string; parentPid: number; cpuMs: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command name: state ppid ... utime(14) stime(15).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return {
    command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    parentPid: Number(fields[1]),
    cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond,
  };
}
