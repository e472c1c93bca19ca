/** Where a result came from: the same numbers mean little on another machine. */
import os from "node:os";

export function describeMachine() {
  const cpus = os.cpus();
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu: cpus[0]?.model ?? "unknown",
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    /** 1, 5 and 15-minute load averages when the run started: on a shared machine, how busy it was */
    loadavg: os.loadavg().map((l) => Number(l.toFixed(2))),
  };
}
