/**
 * The claim check: large payloads never enter the log. Binary fields declared in a contract, and whole
 * messages over a threshold, are moved to the object store; the message carries `{url, sha256, size, contentType}`.
 */
import { FareboxError } from '../errors/index.ts';
import type { ObjectRef, ObjectStore } from './types.ts';
import { verifyBytes } from './verify.ts';

/** Header on a log record whose value is a reference to the real message in the object store. */
export const claimCheckHeader = 'farebox-claim-check';
export const claimedMessageType = 'application/vnd.farebox.message';

/** Binary input accepted in a binary field: raw bytes, or base64 text as sent over HTTP JSON. */
function bytesOf(field: string, value: unknown): { bytes: Uint8Array; contentType: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { bytes?: unknown; base64?: unknown; contentType?: unknown };
  if (v.bytes === undefined && v.base64 === undefined) return undefined;
  if (typeof v.contentType !== 'string' || v.contentType === '')
    throw new FareboxError('bad_request', `binary field '${field}' needs a contentType`, { where: field });
  if (v.bytes instanceof Uint8Array) return { bytes: v.bytes, contentType: v.contentType };
  if (typeof v.base64 === 'string')
    return { bytes: Buffer.from(v.base64, 'base64'), contentType: v.contentType };
  throw new FareboxError('bad_request', `binary field '${field}' must hold bytes or base64 text`, {
    where: field,
  });
}

/** Replaces the bytes in each declared binary field with an object reference. Idempotent: same bytes, same ref. */
export async function checkInFields(
  payload: Record<string, unknown>,
  binaryFields: readonly string[],
  store: ObjectStore,
): Promise<Record<string, unknown>> {
  let out = payload;
  for (const field of binaryFields) {
    const bin = bytesOf(field, payload[field]);
    if (bin === undefined) continue;
    const ref = await store.put(bin.bytes, bin.contentType);
    out = { ...out, [field]: ref };
  }
  return out;
}

/** Stores a whole serialized message and returns the small reference value to put on the log instead. */
export async function checkInMessage(message: Uint8Array, store: ObjectStore): Promise<Buffer> {
  const ref = await store.put(message, claimedMessageType);
  return Buffer.from(JSON.stringify(ref));
}

/** Resolves a claimed message back to its bytes, verifying the hash. */
export async function checkOutMessage(value: Buffer, store: ObjectStore): Promise<Buffer> {
  let ref: ObjectRef;
  try {
    ref = JSON.parse(value.toString('utf8')) as ObjectRef;
  } catch (e) {
    throw new FareboxError('wire_format', 'claim-check reference is not JSON', { cause: e });
  }
  return verifyBytes(ref, await store.get(ref));
}

/** Reads the bytes a field reference points to, verifying size and sha256. */
export async function resolveRef(ref: ObjectRef, store: ObjectStore): Promise<Buffer> {
  return store.get(ref);
}
