import { createHash } from 'node:crypto';
import { FareboxError } from '../errors/index.ts';
import type { ObjectRef } from './types.ts';

/** Returns the bytes if their size and sha256 match the reference, else an object_hash_mismatch error. */
export function verifyBytes(ref: ObjectRef, bytes: Buffer): Buffer {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (bytes.byteLength !== ref.size || sha256 !== ref.sha256)
    throw new FareboxError(
      'object_hash_mismatch',
      `object at ${ref.url} does not match its reference: expected ${ref.size} bytes with sha256 ${ref.sha256}, found ${bytes.byteLength} bytes with sha256 ${sha256}`,
      { where: ref.url },
    );
  return bytes;
}
