/**
 * S3 or any S3-compatible server through the AWS SDK v3: content-addressed keys
 * `<prefix>sha256/<2 hex>/<64 hex>`, multipart uploads for large objects (lib-storage), the bucket
 * created if missing, presigned GET URLs. Credentials come from the SDK's default chain (AWS_* variables,
 * profiles, instance or task roles).
 */
import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { ObjectsConfig } from '../../config/index.ts';
import { FareboxError, wrapError } from '../../errors/index.ts';
import type { ObjectRef, ObjectStore } from '../types.ts';
import { verifyBytes } from '../verify.ts';

export type S3Config = Extract<ObjectsConfig, { kind: 's3' }>;

/** Parts of multipart uploads; objects up to this size go in one PUT. */
const partBytes = 8 * 1024 * 1024;

function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    err.name === 'NotFound' ||
    err.name === 'NoSuchKey' ||
    err.name === 'NoSuchBucket' ||
    err.$metadata?.httpStatusCode === 404
  );
}

function retriable(e: unknown): boolean {
  const err = e as { $retryable?: unknown; $metadata?: { httpStatusCode?: number }; code?: string };
  const status = err.$metadata?.httpStatusCode;
  return err.$retryable !== undefined || status === undefined || status >= 500 || status === 429;
}

export async function createS3ObjectStore(config: S3Config): Promise<ObjectStore> {
  const client = new S3Client({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
  });
  const where = `s3://${config.bucket}/${config.prefix}`;
  const prefix = config.prefix === '' || config.prefix.endsWith('/') ? config.prefix : `${config.prefix}/`;
  const keyOf = (sha256: string): string => {
    if (!/^[0-9a-f]{64}$/.test(sha256))
      throw new FareboxError('object_missing', `'${sha256}' is not a sha256 in hex`, { where });
    return `${prefix}sha256/${sha256.slice(0, 2)}/${sha256}`;
  };
  const fail = (what: string, e: unknown): FareboxError =>
    e instanceof FareboxError
      ? e
      : wrapError('object_io', `${what} (${where})`, e, {
          retriable: retriable(e),
          where,
          hint: 'check FAREBOX_OBJECTS, the AWS credentials and that the S3 endpoint is reachable',
        });

  try {
    await client.send(new HeadBucketCommand({ Bucket: config.bucket }));
  } catch (e) {
    if (!isNotFound(e)) throw fail(`cannot reach bucket '${config.bucket}'`, e);
    try {
      await client.send(new CreateBucketCommand({ Bucket: config.bucket }));
    } catch (created) {
      const name = (created as { name?: string }).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists')
        throw fail(`cannot create bucket '${config.bucket}'`, created);
    }
  }

  const has = async (sha256: string): Promise<boolean> => {
    try {
      await client.send(new HeadObjectCommand({ Bucket: config.bucket, Key: keyOf(sha256) }));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw fail(`cannot look up object ${sha256}`, e);
    }
  };

  return {
    kind: 's3',
    async put(bytes, contentType) {
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const key = keyOf(sha256);
      const ref: ObjectRef = {
        url: `s3://${config.bucket}/${key}`,
        sha256,
        size: bytes.byteLength,
        contentType,
      };
      // Content-addressed: the same bytes are already there under the same key, so a retry stores nothing.
      if (await has(sha256)) return ref;
      try {
        await new Upload({
          client,
          params: { Bucket: config.bucket, Key: key, Body: bytes, ContentType: contentType },
          partSize: partBytes,
          queueSize: 4,
        }).done();
      } catch (e) {
        throw fail(`cannot store object ${sha256}`, e);
      }
      return ref;
    },
    async get(ref) {
      let bytes: Buffer;
      try {
        const out = await client.send(
          new GetObjectCommand({ Bucket: config.bucket, Key: keyOf(ref.sha256) }),
        );
        bytes = Buffer.from((await out.Body?.transformToByteArray()) ?? new Uint8Array());
      } catch (e) {
        if (isNotFound(e))
          throw new FareboxError('object_missing', `no object ${ref.sha256} in ${where}`, { where: ref.url });
        throw fail(`cannot read object ${ref.sha256}`, e);
      }
      return verifyBytes(ref, bytes);
    },
    has,
    async delete(sha256) {
      try {
        await client.send(new DeleteObjectCommand({ Bucket: config.bucket, Key: keyOf(sha256) }));
      } catch (e) {
        if (!isNotFound(e)) throw fail(`cannot delete object ${sha256}`, e);
      }
    },
    async *list() {
      try {
        for await (const page of paginateListObjectsV2(
          { client },
          { Bucket: config.bucket, Prefix: `${prefix}sha256/` },
        ))
          for (const o of page.Contents ?? []) {
            const sha256 = o.Key?.split('/').at(-1) ?? '';
            // S3 always says when; were it missing, the object counts as new (never cleaned up).
            if (/^[0-9a-f]{64}$/.test(sha256))
              yield { sha256, size: o.Size ?? 0, modifiedAt: o.LastModified?.getTime() ?? Date.now() };
          }
      } catch (e) {
        throw fail('cannot list objects', e);
      }
    },
    async downloadUrl(ref, expiresInSeconds = 900) {
      return getSignedUrl(client, new GetObjectCommand({ Bucket: config.bucket, Key: keyOf(ref.sha256) }), {
        expiresIn: expiresInSeconds,
      });
    },
    close() {
      client.destroy();
      return Promise.resolve();
    },
  };
}
