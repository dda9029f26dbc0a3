import type { ObjectsConfig } from '../config/index.ts';
import { createFsObjectStore } from './fs/fs-store.ts';
import { createS3ObjectStore } from './s3/s3-store.ts';
import type { ObjectStore } from './types.ts';

export type { ObjectRef, ObjectStore } from './types.ts';
export { createFsObjectStore } from './fs/fs-store.ts';
export { createS3ObjectStore } from './s3/s3-store.ts';
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
  return config.kind === 'file' ? createFsObjectStore(config) : createS3ObjectStore(config);
}
