/** MinIO, a real S3-compatible server, built by `go install` from the Go module proxy. */
import fs from 'node:fs';
import path from 'node:path';
import { dir, has, httpOk, run, say, ServiceError, startDetached, waitUntil, type Service } from './lib.ts';

/** Pinned: the newest version the Go module proxy serves here; `go install` caches its build. */
const version = 'v0.0.0-20260212201848-7aac2a2c5b7c';
export const s3Port = 19000;
export const s3Credentials = { accessKeyId: 'farebox', secretAccessKey: 'farebox-secret' };

function binary(): string {
  const bin = path.join(dir('bin'), 'minio');
  const stamp = `${bin}.version`;
  if (fs.existsSync(bin) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === version) return bin;
  if (!has('go')) throw new ServiceError('Go is needed to build MinIO from the Go module proxy');
  say('building MinIO with go install (first time: about 3 minutes; cached afterwards)');
  run('go', ['install', `github.com/minio/minio@${version}`], {
    log: path.join(dir('logs'), 'minio-install.log'),
    env: { ...process.env, GOBIN: dir('bin') },
  });
  fs.writeFileSync(stamp, version);
  return bin;
}

const ready = () => httpOk(`http://127.0.0.1:${s3Port}/minio/health/ready`);

export const minio: Service = {
  name: 'minio',
  endpoint: `http://127.0.0.1:${s3Port}`,
  async start() {
    const bin = binary();
    startDetached(
      'minio',
      bin,
      [
        'server',
        dir('minio', 'data'),
        '--quiet',
        '--address',
        `127.0.0.1:${s3Port}`,
        '--console-address',
        `127.0.0.1:${s3Port + 1}`,
      ],
      {
        env: {
          ...process.env,
          MINIO_ROOT_USER: s3Credentials.accessKeyId,
          MINIO_ROOT_PASSWORD: s3Credentials.secretAccessKey,
          MINIO_BROWSER: 'off',
          MINIO_UPDATE: 'off',
        },
      },
    );
    await waitUntil('minio', ready);
  },
  ready,
};
