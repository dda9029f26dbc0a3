import { randomBytes, randomUUID } from 'node:crypto';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { endpoints, useS3Credentials } from '../../../test/services.ts';
import { describeObjectStoreContract } from '../contract-suite.ts';
import { createS3ObjectStore, type S3Config } from './s3-store.ts';

const e = endpoints();
useS3Credentials(e);
const config = (bucket: string, prefix = ''): S3Config => ({
  kind: 's3',
  bucket,
  endpoint: e.s3.endpoint,
  region: e.s3.region,
  forcePathStyle: true,
  prefix,
});

/** Empties and removes a test bucket. */
async function dropBucket(bucket: string): Promise<void> {
  const s3 = new S3Client({ region: e.s3.region, endpoint: e.s3.endpoint, forcePathStyle: true });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key }));
  if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  s3.destroy();
}

describeObjectStoreContract('S3 (MinIO)', async () => {
  const bucket = `farebox-test-${randomUUID().slice(0, 8)}`;
  return { store: await createS3ObjectStore(config(bucket, 'media')), cleanup: () => dropBucket(bucket) };
});

describe('S3 object store', () => {
  it('creates its bucket, uploads large objects in parts and hands out presigned URLs', async () => {
    const bucket = `farebox-test-${randomUUID().slice(0, 8)}`;
    const store = await createS3ObjectStore(config(bucket));
    try {
      const bytes = randomBytes(20 * 1024 * 1024 + 17);
      const ref = await store.put(bytes, 'image/jpeg');
      expect(ref.url).toBe(`s3://${bucket}/sha256/${ref.sha256.slice(0, 2)}/${ref.sha256}`);
      expect(Buffer.compare(await store.get(ref), bytes)).toBe(0);
      const url = await store.downloadUrl(ref, 60);
      expect(url).toContain('X-Amz-Signature=');
      const res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/jpeg');
      expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), bytes)).toBe(0);
      // A second store on the same bucket finds it there (no error for an existing bucket).
      const again = await createS3ObjectStore(config(bucket));
      expect(await again.has(ref.sha256)).toBe(true);
      await again.close();
    } finally {
      await store.close();
      await dropBucket(bucket);
    }
  });

  it('names the endpoint when S3 cannot be reached', async () => {
    await expect(
      createS3ObjectStore({ ...config('farebox-nowhere'), endpoint: 'http://127.0.0.1:1' }),
    ).rejects.toThrow(/cannot reach bucket 'farebox-nowhere'.*\n?/);
  });
});
