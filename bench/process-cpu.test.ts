import { spawn } from 'node:child_process';
import { readCpuTimes } from './process-cpu.js';

describe('readCpuTimes', () => {
  it("counts a busy child's CPU time and converts the process's own microseconds", async () => {
    const child = spawn(process.execPath, ['-e', 'const end = Date.now() + 400; while (Date.now() < end);']);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const times = readCpuTimes(process.pid, { user: 1500, system: 500 });
    await exited;
    expect(times.selfMs).toBe(2);
    expect(times.childrenMs).toBeGreaterThan(0);
    expect(times.childrenByCommandMs.node).toBe(times.childrenMs);
  });
});
