/**
 * Pre-load worker threads. Batches go round-robin; each worker is sent a schema's text once. A worker that
 * dies fails the batches it held (the sink retries them) and is replaced on the next batch.
 */
import { Worker } from 'node:worker_threads';
import { FareboxError } from '../errors/index.ts';
import { packedTransfer, type DecidedBatch, type PackedBatch } from './batch.ts';
import type { SchemaTexts } from './schemas.ts';
import type { WorkerReply, WorkerRequest } from './worker.ts';

export interface PreloadPool {
  run(batch: PackedBatch, schemaIds: Iterable<number>): Promise<DecidedBatch>;
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  known: Set<number>;
  pending: Map<number, { resolve: (r: DecidedBatch) => void; reject: (e: unknown) => void }>;
}

const workerUrl = new URL('./worker.ts', import.meta.url);

export function createPreloadPool(size: number, texts: SchemaTexts): PreloadPool {
  const slots: (Slot | undefined)[] = new Array<Slot | undefined>(size).fill(undefined);
  let next = 0;
  let requestId = 0;
  let closed = false;

  const spawn = (index: number): Slot => {
    const worker = new Worker(workerUrl);
    const slot: Slot = { worker, known: new Set(), pending: new Map() };
    const failAll = (e: unknown): void => {
      if (slots[index] === slot) slots[index] = undefined;
      for (const p of slot.pending.values()) p.reject(e);
      slot.pending.clear();
    };
    worker.on('message', (reply: WorkerReply) => {
      const p = slot.pending.get(reply.id);
      if (p === undefined) return;
      slot.pending.delete(reply.id);
      if (reply.ok) p.resolve(reply.result);
      else
        p.reject(
          new FareboxError('internal', `pre-load worker failed: ${reply.message}`, {
            retriable: true,
            where: reply.stack,
          }),
        );
    });
    worker.on('error', (e) =>
      failAll(new FareboxError('internal', 'a pre-load worker crashed', { cause: e, retriable: true })),
    );
    worker.on('exit', (code) => {
      if (!closed)
        failAll(new FareboxError('internal', `a pre-load worker exited (code ${code})`, { retriable: true }));
    });
    slots[index] = slot;
    return slot;
  };

  return {
    async run(batch, schemaIds) {
      if (closed) throw new FareboxError('internal', 'the pre-load pool is closed');
      const index = next;
      next = (next + 1) % size;
      const slot = slots[index] ?? spawn(index);
      const schemas: [number, string | undefined][] = [];
      for (const id of new Set(schemaIds)) if (!slot.known.has(id)) schemas.push([id, await texts.get(id)]);
      for (const [id] of schemas) slot.known.add(id);
      const id = requestId++;
      const request: WorkerRequest = { id, batch, schemas };
      return new Promise<DecidedBatch>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        slot.worker.postMessage(request, packedTransfer(batch));
      });
    },
    async close() {
      closed = true;
      await Promise.all(slots.flatMap((s) => (s === undefined ? [] : [s.worker.terminate()])));
    },
  };
}
