/**
 * Where the servers of `npm run services -- up` listen, for tests that need them. A missing file fails
 * the test with what to do: such tests never skip.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Endpoints {
  kafka: string;
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  /** http://user:password@host:port */
  clickhouse: string;
  postgres: string;
}

const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../.services/endpoints.json');

export function endpoints(): Endpoints {
  if (!fs.existsSync(file))
    throw new Error(`no test services: ${file} is missing. Start them with \`npm run services -- up\``);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Endpoints;
}

/** The AWS SDK reads credentials from these variables (its default chain); tests set them for MinIO. */
export function useS3Credentials(e: Endpoints): void {
  process.env.AWS_ACCESS_KEY_ID = e.s3.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = e.s3.secretAccessKey;
  process.env.AWS_REGION = e.s3.region;
}
