/** Linux /proc readings the pcscd harness relies on: process identity and listening TCP ports. */
import { readFileSync, readdirSync } from 'node:fs';

/** A running process as /proc shows it. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Kernel start time in clock ticks since boot: with the pid, identifies one process even after pid reuse. */
  startTime: string;
  /** One-letter state (R, S, Z ...). */
  state: string;
  comm: string;
  argv: string[];
}

/** Reads /proc/<pid>; undefined when the process does not exist (or is a zombie, which is as good as gone). */
export function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may itself contain spaces or parentheses: split after the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    const state = fields[0] ?? '?';
    if (state === 'Z' || state === 'X') return undefined;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((a) => a.length > 0);
    return { pid, ppid: Number(fields[1]), startTime: fields[19] ?? '', state, comm, argv };
  } catch {
    return undefined;
  }
}

/** Every live process whose command name is `comm` (e.g. "pcscd"). */
export function findProcesses(comm: string): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const info = readProcess(Number(entry));
    if (info && info.comm === comm) found.push(info);
  }
  return found;
}

/** TCP ports in LISTEN state in this network namespace, read without connecting to anything. */
export function listeningTcpPorts(): Set<number> {
  const ports = new Set<number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols[1] is "ADDR:PORT" in hex, cols[3] the state; 0A is LISTEN.
      if (cols[3] === '0A' && cols[1]) ports.add(parseInt(cols[1].split(':')[1] ?? '', 16));
    }
  }
  return ports;
}
