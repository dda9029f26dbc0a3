/** PostgreSQL from Debian's packages, in a cluster of its own under .services (run as `postgres` when root). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aptInstall, dir, run, ServiceError, startDetached, waitUntil, type Service } from './lib.ts';

export const postgresPort = 15432;
export const postgresUser = { username: 'farebox', password: 'farebox', database: 'farebox' };

function binDir(): string {
  const find = () =>
    fs.existsSync('/usr/lib/postgresql')
      ? fs
          .readdirSync('/usr/lib/postgresql')
          .map((v) => path.join('/usr/lib/postgresql', v, 'bin'))
          .find((b) => fs.existsSync(path.join(b, 'initdb')))
      : undefined;
  let bin = find();
  if (bin === undefined) {
    aptInstall(['postgresql']);
    bin = find();
  }
  if (bin === undefined)
    throw new ServiceError('PostgreSQL was installed but no initdb was found under /usr/lib/postgresql');
  return bin;
}

/** initdb and postgres refuse to run as root: then the cluster belongs to the `postgres` user. */
function owner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined)
    throw new ServiceError('running as root, but there is no postgres user to own the cluster');
  return { uid: Number(uid), gid: Number(gid) };
}

const env = () => ({ ...process.env, PGPASSWORD: postgresUser.password });
const psql = (bin: string, db: string, sql: string) =>
  run(
    path.join(bin, 'psql'),
    ['-h', '127.0.0.1', '-p', String(postgresPort), '-U', postgresUser.username, '-d', db, '-tAc', sql],
    { env: env() },
  );

async function ready(): Promise<boolean> {
  await Promise.resolve();
  run(path.join(binDir(), 'pg_isready'), ['-h', '127.0.0.1', '-p', String(postgresPort), '-q']);
  return true;
}

export const postgres: Service = {
  name: 'postgres',
  endpoint: `postgres://${postgresUser.username}:${postgresUser.password}@127.0.0.1:${postgresPort}/${postgresUser.database}`,
  async start() {
    const bin = binDir();
    const who = owner();
    const home = dir('postgres');
    const data = path.join(home, 'data');
    const sockets = dir('postgres', 'run');
    if (who !== undefined) for (const d of [home, sockets]) fs.chownSync(d, who.uid, who.gid);
    if (!fs.existsSync(path.join(data, 'PG_VERSION'))) {
      const pwfile = path.join(os.tmpdir(), `farebox-pg-${process.pid}`);
      fs.writeFileSync(pwfile, postgresUser.password, { mode: 0o644 });
      try {
        const args = [
          '-D',
          data,
          '-U',
          postgresUser.username,
          '--pwfile',
          pwfile,
          '--auth',
          'scram-sha-256',
          '-E',
          'UTF8',
          '--no-locale',
        ];
        if (who === undefined)
          run(path.join(bin, 'initdb'), args, { log: path.join(dir('logs'), 'postgres-install.log') });
        else
          run('runuser', ['-u', 'postgres', '--', path.join(bin, 'initdb'), ...args], {
            log: path.join(dir('logs'), 'postgres-install.log'),
          });
      } finally {
        fs.rmSync(pwfile, { force: true });
      }
    }
    startDetached(
      'postgres',
      path.join(bin, 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(postgresPort),
        '-k',
        sockets,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
      ],
      {
        ...(who === undefined ? {} : who),
        cwd: home,
      },
    );
    await waitUntil('postgres', ready);
    if (
      psql(bin, 'postgres', `SELECT 1 FROM pg_database WHERE datname = '${postgresUser.database}'`).trim() !==
      '1'
    )
      psql(bin, 'postgres', `CREATE DATABASE ${postgresUser.database}`);
  },
  ready,
};
