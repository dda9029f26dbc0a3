import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { FsyncPolicy } from '../../config/index.ts';
import { isFareboxError } from '../../errors/index.ts';
import { describeEventLogContract } from '../contract-suite.ts';
import { createLocalLog } from './local-log.ts';

const tmp = () => fs.mkdtemp(path.join(os.tmpdir(), 'farebox-log-'));
const config = (
  dir: string,
  over: { fsync?: FsyncPolicy; segmentBytes?: number; retentionBytes?: number; retentionMs?: number } = {},
) => ({
  kind: 'local' as const,
  dir,
  fsync: over.fsync ?? { mode: 'always' as const },
  segmentBytes: over.segmentBytes ?? 1 << 20,
  retentionMs: over.retentionMs,
  retentionBytes: over.retentionBytes,
  partitions: 1,
});
const quiet = { warn: () => undefined };

describeEventLogContract('embedded', async () => {
  const dir = await tmp();
  return {
    log: await createLocalLog(config(dir), quiet),
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
});

describe('embedded log on disk', () => {
  it('survives reopening, rolls segments and reads across them', async () => {
    const dir = await tmp();
    const log = await createLocalLog(config(dir, { segmentBytes: 4096 }), quiet);
    await log.ensureTopic({ name: 't', partitions: 1 });
    await log.produce(
      't',
      Array.from({ length: 100 }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`.padEnd(200)) })),
    );
    await log.close();
    const segments = (await fs.readdir(path.join(dir, 'topics/t/0'))).filter((f) => f.endsWith('.log'));
    expect(segments.length).toBeGreaterThan(3);
    const again = await createLocalLog(config(dir, { segmentBytes: 4096 }), quiet);
    expect(await again.endOffsets('t')).toEqual([100]);
    const c = await again.consumer({ group: 'g', topics: ['t'] });
    const got: string[] = [];
    while (got.length < 100)
      got.push(...(await c.poll({ maxRecords: 30, timeoutMs: 100 })).map((r) => r.value.toString().trim()));
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `v${i}`));
    await again.close();
  });

  it('truncates a torn tail and keeps appending after it', async () => {
    const dir = await tmp();
    const log = await createLocalLog(config(dir), quiet);
    await log.ensureTopic({ name: 't', partitions: 1 });
    await log.produce('t', [
      { key: null, value: Buffer.from('a') },
      { key: null, value: Buffer.from('b') },
    ]);
    await log.close();
    const file = path.join(dir, 'topics/t/0', '00000000000000000000.log');
    await fs.appendFile(file, Buffer.from([0, 0, 0, 90, 1, 2, 3]));
    const warnings: string[] = [];
    const again = await createLocalLog(config(dir), { warn: (m) => warnings.push(m) });
    expect(warnings.join()).toMatch(/truncated a torn tail of 7 bytes/);
    expect(await again.endOffsets('t')).toEqual([2]);
    expect((await again.produce('t', [{ key: null, value: Buffer.from('c') }]))[0]?.offset).toBe(2);
    await again.close();
  });

  it('refuses damage inside a sealed segment, naming the file and position', async () => {
    const dir = await tmp();
    const log = await createLocalLog(config(dir, { segmentBytes: 1024 }), quiet);
    await log.ensureTopic({ name: 't', partitions: 1 });
    await log.produce(
      't',
      Array.from({ length: 40 }, () => ({ key: null, value: Buffer.alloc(100, 1) })),
    );
    await log.close();
    const file = path.join(dir, 'topics/t/0', '00000000000000000000.log');
    const bytes = await fs.readFile(file);
    bytes[200] = (bytes[200] ?? 0) ^ 0xff;
    await fs.writeFile(file, bytes);
    await expect(createLocalLog(config(dir), quiet)).rejects.toSatisfy(
      (e) => isFareboxError(e, 'log_corrupt') && e.message.includes(file),
    );
  });

  it('deletes old segments by size, moving the start offset', async () => {
    const dir = await tmp();
    const log = await createLocalLog(config(dir, { segmentBytes: 2048 }), quiet);
    await log.ensureTopic({ name: 't', partitions: 1, retentionBytes: 4096 });
    await log.produce(
      't',
      Array.from({ length: 100 }, () => ({ key: null, value: Buffer.alloc(100) })),
    );
    await log.close();
    const again = await createLocalLog(config(dir, { segmentBytes: 2048 }), quiet);
    expect((await again.startOffsets('t'))[0]).toBeGreaterThan(50);
    expect(await again.endOffsets('t')).toEqual([100]);
    await again.close();
  });

  it('stops a second process from opening the same log, saying which pid holds it', async () => {
    const dir = await tmp();
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'LOCK'), '1');
    await expect(createLocalLog(config(dir), quiet)).rejects.toSatisfy(
      (e) => isFareboxError(e, 'log_locked') && e.message.includes('process 1'),
    );
    await fs.writeFile(path.join(dir, 'LOCK'), '999999999');
    const log = await createLocalLog(config(dir), quiet);
    await log.close();
  });

  it('keeps every acknowledged record through kill -9', async () => {
    const dir = await tmp();
    const script = fileURLToPath(new URL('./fixtures/produce-forever.ts', import.meta.url));
    const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: string[] = [];
    let buffer = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        buffer += d.toString();
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const l of lines) acked.push(...l.split(' '));
        if (acked.length >= 3000 && child.exitCode === null) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.once('exit', r));
    const log = await createLocalLog(config(dir, { segmentBytes: 64 * 1024 }), quiet);
    const end = await log.endOffsets('crash');
    for (const a of acked) {
      const [p, o] = a.split(':').map(Number);
      expect(o).toBeLessThan(end[p as number] as number);
    }
    const c = await log.consumer({ group: 'check', topics: ['crash'] });
    let read = 0;
    const total = (end[0] ?? 0) + (end[1] ?? 0);
    for (let i = 0; read < total && i < 1000; i++)
      read += (await c.poll({ maxRecords: 5000, timeoutMs: 50 })).length;
    expect(read).toBe(total);
    expect(
      (await log.produce('crash', [{ key: null, value: Buffer.from('after') }]))[0]?.offset,
    ).toBeGreaterThan(0);
    await log.close();
  });
});
