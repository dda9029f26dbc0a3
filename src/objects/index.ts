import type { ObjectsConfig } from '../config/index.ts';
import { createFsObjectStore } from './fs/fs-store.ts';
import type { ObjectStore } from './types.ts';

export type { ObjectRef, ObjectStore, StoredObject } from './types.ts';
export { createFsObjectStore } from './fs/fs-store.ts';
export { verifyBytes } from './verify.ts';
export {
  checkInFields,
  checkInMessage,
  checkOutMessage,
  claimCheckHeader,
  claimedMessageType,
  resolveRef,
} from './claim-check.ts';

/** The object store named by the configuration. */
export async function createObjectStore(config: ObjectsConfig): Promise<ObjectStore> {
  if (config.kind === 'file') return createFsObjectStore(config);
  // Loaded only when configured: embedded engines never load the AWS SDK.
  const { createS3ObjectStore } = await import('./s3/s3-store.ts');
  return createS3ObjectStore(config);
}
