/** A pre-load worker thread: decides and encodes packed batches off the sink's thread. */
import { parentPort } from 'node:worker_threads';
import { decideBatch, type PackedBatch } from './batch.ts';
import { createCompiledSchemas } from './schemas.ts';

export interface WorkerRequest {
  id: number;
  batch: PackedBatch;
  /** Schema texts this worker has not been given yet (undefined: not in the registry). */
  schemas: [number, string | undefined][];
}

export type WorkerReply =
  | { id: number; ok: true; result: ReturnType<typeof decideBatch> }
  | { id: number; ok: false; message: string; stack: string | undefined };

const port = parentPort;
if (port !== null) {
  const schemas = createCompiledSchemas();
  port.on('message', (req: WorkerRequest) => {
    try {
      for (const [id, text] of req.schemas) schemas.add(id, text);
      const result = decideBatch(req.batch, schemas);
      const reply: WorkerReply = { id: req.id, ok: true, result };
      port.postMessage(
        reply,
        result.tables.map((t) => t.body.buffer as ArrayBuffer),
      );
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      const reply: WorkerReply = { id: req.id, ok: false, message: err.message, stack: err.stack };
      port.postMessage(reply);
    }
  });
}
