/** One writer per log directory: `<dir>/LOCK` holds the pid; a stale lock (dead pid) is taken over. */
import fs from 'node:fs';
import path from 'node:path';
import { FareboxError } from '../../errors/index.ts';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireLock(dir: string): () => void {
  const file = path.join(dir, 'LOCK');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(file, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
        throw new FareboxError('log_locked', `the event log at ${dir} is in use by process ${pid}`, {
          where: file,
          hint: 'stop that farebox (Ctrl-C), or talk to it: status, query and import use a running farebox automatically',
        });
      if (pid === process.pid)
        throw new FareboxError('log_locked', `the event log at ${dir} is already open in this process`, {
          where: file,
        });
      fs.rmSync(file, { force: true });
    }
  }
  throw new FareboxError('log_locked', `cannot take the lock of the event log at ${dir}`, { where: file });
}
