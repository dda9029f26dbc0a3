/**
 * The container image and the compose stack, checked without Docker (the build machines have none): the
 * Dockerfile parsed with dockerfile-ast, .dockerignore read, deploy/compose.yaml parsed with `yaml` and
 * checked for structure, and linted with dclint, which validates it against the Compose specification's
 * JSON schema. hadolint, the Dockerfile linter, runs in test/integration/hadolint.test.ts.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { roles } from '../src/cli/roles.ts';
import { exportSupersetBundle } from '../src/dashboards/superset/index.ts';

const repo = path.resolve(import.meta.dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(repo, file), 'utf8');

describe('Dockerfile', () => {
  const dockerfile = DockerfileParser.parse(read('Dockerfile'));
  const instructions = dockerfile.getInstructions();
  const froms = dockerfile.getFROMs();
  const lastFrom = instructions.lastIndexOf(froms.at(-1) as Instruction);
  const final = instructions.slice(lastFrom);
  const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());
  const inFinal = (keyword: string) => final.filter((i) => i.getKeyword() === keyword);

  it('is multi-stage, every stage on node:24-slim pinned by tag', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) {
      expect(f.getImageName()).toBe('node');
      expect(f.getImageTag()).toBe('24-slim');
      expect(f.getRegistry()).toBeNull();
    }
    expect(froms[0]!.getBuildStage()).toBeTruthy();
  });

  it('installs production dependencies with npm ci, never npm install, and builds the web app', () => {
    const runs = instructions
      .filter((i) => i.getKeyword() === 'RUN')
      .map((i) => i.getArgumentsContent() ?? '');
    const deps = runs.find((r) => /\bnpm ci "\$@"/.test(r)) ?? '';
    expect(deps).toMatch(/^set -- --omit=dev /);
    // chDB's 540 MB engine only when asked for: the roles in containers use a ClickHouse server.
    expect(deps).toContain('[ "$EMBEDDED" = true ] || set -- "$@" --omit=optional;');
    const arg = instructions.find((i) => i.getKeyword() === 'ARG');
    expect(arg?.getArgumentsContent()).toBe('EMBEDDED=false');
    expect(runs.some((r) => r.includes('vite') && r.includes('build --config web/vite.config.ts'))).toBe(
      true,
    );
    for (const r of runs) expect(r).not.toMatch(/\bnpm (install|i|add)\b/);
  });

  it('copies what the app needs at runtime into the final stage', () => {
    const copied = inFinal('COPY').flatMap((c) =>
      args(c)
        .filter((a) => !a.startsWith('--'))
        .slice(0, -1),
    );
    for (const needed of [
      'bin/',
      'src/',
      'transform/',
      'pipelines/',
      'syncs/',
      'dashboards/',
      'package.json',
      'package-lock.json',
    ])
      expect(copied).toContain(needed);
    expect(copied).toContain('/app/node_modules'); // from the deps stage
    expect(copied).toContain('/app/web/dist'); // the built web app, from the web stage
    // The runtime serves web/dist where the dashboards role looks for it (config: <repo>/web/dist).
    const web = inFinal('COPY').find((c) => args(c).includes('/app/web/dist'));
    expect(web && args(web).at(-1)).toBe('./web/dist/');
    expect(web?.getTextContent()).toMatch(/^COPY --from=web /);
    for (const source of copied.filter((c) => !c.startsWith('/')))
      expect(fs.existsSync(path.join(repo, source)), source).toBe(true);
  });

  it('runs as a non-root user, with FAREBOX_HOME and NODE_ENV set', () => {
    const users = inFinal('USER').map((u) => args(u)[0]);
    expect(users.length).toBeGreaterThan(0);
    const user = users.at(-1)!;
    expect(user.split(':')[0]).toBe('10001');
    const env = inFinal('ENV').flatMap(args);
    expect(env).toEqual(expect.arrayContaining(['NODE_ENV=production', 'FAREBOX_HOME=/var/lib/farebox']));
    expect(inFinal('WORKDIR').map((w) => args(w)[0])).toContain('/app');
    expect(inFinal('VOLUME').map((v) => v.getArgumentsContent())).toContain('["/var/lib/farebox"]');
  });

  it('exposes the gateway, registry, dashboards and ops ports, and labels the image', () => {
    expect(inFinal('EXPOSE').flatMap(args).sort()).toEqual(['8081', '8787', '8788', '9464']);
    const labels = inFinal('LABEL')
      .map((l) => l.getArgumentsContent() ?? '')
      .join(' ');
    for (const key of ['title', 'description', 'licenses', 'version'])
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
  });

  it("checks health on the ops port's /livez with node's fetch", () => {
    const [check, ...more] = dockerfile.getHEALTHCHECKs();
    expect(more).toEqual([]);
    expect(check!.getSubcommand()?.getValue()).toBe('CMD');
    const content = check!.getArgumentsContent() ?? '';
    const argv = JSON.parse(content.slice(content.indexOf('['))) as string[];
    expect(argv.slice(0, 2)).toEqual(['node', '-e']);
    expect(argv[2]).toMatch(/fetch\(.*9464.*\/livez/);
  });

  it('starts node bin/farebox.js, the gateway by default', () => {
    const [entrypoint] = dockerfile.getENTRYPOINTs();
    expect(entrypoint!.getJSONStrings().map((s) => s.getJSONValue())).toEqual(['node', 'bin/farebox.js']);
    const cmd = dockerfile.getCMDs().at(-1)!;
    const argv = cmd.getJSONStrings().map((s) => s.getJSONValue());
    expect(argv).toEqual(['serve', 'gateway']);
    expect(roles).toContain(argv[1]);
  });

  it('.dockerignore keeps node_modules, .git and local state out, and nothing the image copies', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    for (const p of ['node_modules', '.git', '.farebox', '.services', '.scratch', 'coverage', 'test-results'])
      expect(ignored).toContain(p);
    const copied = [
      'bin',
      'src',
      'transform',
      'pipelines',
      'syncs',
      'vendor',
      'package.json',
      'package-lock.json',
    ];
    for (const c of copied)
      expect(ignored.filter((p) => p === c || p === `${c}/` || p === `**/${c}`)).toEqual([]);
  });
});

// ---- compose --------------------------------------------------------------------------------------------

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | string;
  entrypoint?: string[];
  environment?: Record<string, string | number | boolean | null>;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  profiles?: string[];
  restart?: string;
  stop_grace_period?: string;
  network_mode?: string;
  privileged?: boolean;
  ports?: string[];
  volumes?: string[];
  user?: string;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** Compose's interpolation, for the forms this file uses: ${VAR:-default}, ${VAR-default}, ${VAR:?error}. */
function interpolate(value: string): string {
  return value
    .replace(/\$\{(\w+)(?::?-([^}]*))?\}/g, (_m, _name: string, fallback?: string) => fallback ?? '')
    .replace(/\$\{(\w+):?\?[^}]*\}/g, 'set-by-the-operator')
    .replaceAll('$$', '$');
}

describe('deploy/compose.yaml', () => {
  const text = read('deploy/compose.yaml');
  const compose = parse(text, { merge: true }) as Compose;
  const services = compose.services;
  const names = Object.keys(services);
  const farebox = Object.entries(services).filter(([, s]) => s.build !== undefined);
  const roleServices = farebox.filter(([, s]) => Array.isArray(s.command) && s.command[0] === 'serve');

  it('builds every farebox service from the one image at the repository root', () => {
    expect(farebox.length).toBeGreaterThan(0);
    for (const [name, s] of farebox) {
      expect(s.image, name).toBe('farebox:local');
      expect(s.build, name).toEqual({ context: '..', dockerfile: 'Dockerfile' });
    }
    expect(fs.existsSync(path.resolve(repo, 'deploy', '..', 'Dockerfile'))).toBe(true);
  });

  it('runs each role with `serve <role>`: gateway, registry, sink, scheduler, simulator, dashboards', () => {
    const byRole = new Map(roleServices.map(([name, s]) => [(s.command as string[])[1], name]));
    for (const [name, s] of roleServices) {
      expect(s.command, name).toHaveLength(2);
      expect(roles, name).toContain((s.command as string[])[1]);
    }
    expect([...byRole.keys()].sort()).toEqual([
      'dashboards',
      'gateway',
      'registry',
      'scheduler',
      'simulator',
      'sink',
    ]);
    expect(services.sink?.deploy?.replicas).toBe(2);
    expect(services.simulator?.profiles).toEqual(['demo']);
    // Other farebox services are one-shot jobs.
    for (const [name, s] of farebox.filter(([, s]) => !roleServices.some(([, r]) => r === s))) {
      expect(s.restart, name).toBe('no');
      expect(s.healthcheck?.disable, name).toBe(true);
    }
  });

  it('checks each role through /readyz on the ops port and gives it 30 s to stop', () => {
    for (const [name, s] of roleServices) {
      expect(s.healthcheck?.test?.join(' '), name).toMatch(/127\.0\.0\.1:9464\/readyz/);
      expect(s.stop_grace_period, name).toBe('30s');
      expect(s.restart, name).toBe('unless-stopped');
    }
  });

  it('starts roles after healthy engines, and every awaited service can report healthy', () => {
    for (const [name, s] of roleServices) {
      const deps = s.depends_on ?? {};
      expect(Object.keys(deps), name).toContain('kafka');
      for (const [dep, { condition }] of Object.entries(deps)) {
        expect(names, `${name} → ${dep}`).toContain(dep);
        expect(['service_healthy', 'service_completed_successfully'], `${name} → ${dep}`).toContain(
          condition,
        );
      }
    }
    for (const [name, s] of Object.entries(services))
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        const target = services[dep]!;
        if (condition === 'service_healthy')
          expect(target.healthcheck?.test, `${name} → ${dep}`).toBeDefined();
        if (condition === 'service_completed_successfully')
          expect(target.restart, `${name} → ${dep}`).toBe('no');
      }
    expect(services.sink?.depends_on).toHaveProperty('clickhouse');
    expect(services.scheduler?.depends_on).toHaveProperty('clickhouse');
    expect(services.scheduler?.depends_on).toHaveProperty('postgres');
    expect(services.dashboards?.depends_on).toHaveProperty('clickhouse');
    expect(services.dashboards?.depends_on).toHaveProperty('postgres');
  });

  it('runs the dashboards API on 8788 with the warehouse and the ops DB, sign-in required', () => {
    const d = services.dashboards!;
    expect(d.ports).toEqual(['127.0.0.1:8788:8788']);
    expect(Object.keys(d.environment ?? {})).toEqual(
      expect.arrayContaining(['FAREBOX_WAREHOUSE', 'FAREBOX_OPS_DB', 'FAREBOX_DASHBOARDS_PORT']),
    );
    expect(d.environment?.FAREBOX_DASHBOARDS_PORT).toBe('8788');
    expect(d.environment).not.toHaveProperty('FAREBOX_DASHBOARDS_ANONYMOUS');
  });

  it('has native health checks on the engines', () => {
    for (const engine of ['kafka', 'minio', 'clickhouse', 'postgres'])
      expect(services[engine]?.healthcheck?.test?.length, engine).toBeGreaterThan(1);
  });

  it('uses no host network or privileged containers; publishes ports on 127.0.0.1 only', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.network_mode, name).toBeUndefined();
      expect(s.privileged, name).toBeUndefined();
      for (const p of s.ports ?? []) expect(p, name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  it('points every URL in the environment at a compose service', () => {
    let urls = 0;
    for (const [name, s] of Object.entries(services))
      for (const [key, raw] of Object.entries(s.environment ?? {})) {
        if (typeof raw !== 'string' || !raw.includes('://')) continue;
        // Lists too (kafka://a:9092,b:9092; Kafka's listeners, where `PLAINTEXT://:9092` binds every address).
        for (const part of interpolate(raw).split(',')) {
          if (/^\w+:\/\/:\d+$/.test(part)) continue;
          const url = new URL(part.includes('://') ? part : `tcp://${part}`);
          // s3://bucket?endpoint=…: the bucket is no host, the endpoint is.
          const host =
            url.protocol === 's3:' ? new URL(url.searchParams.get('endpoint') ?? '').hostname : url.hostname;
          expect(names, `${name} ${key}`).toContain(host);
          urls++;
        }
      }
    expect(urls).toBeGreaterThanOrEqual(5);
    expect(services.gateway?.environment).toMatchObject({
      FAREBOX_LOG: 'kafka://kafka:9092',
      FAREBOX_REGISTRY: 'http://registry:8081',
    });
  });

  it('takes secrets from the environment, with defaults marked local-only', () => {
    for (const [name, s] of Object.entries(services))
      for (const [key, raw] of Object.entries(s.environment ?? {})) {
        if (!/PASSWORD|SECRET|TOKENS|WAREHOUSE|OPS_DB|MC_HOST/.test(key)) continue;
        expect(raw, `${name} ${key}`).toMatch(/\$\{\w+(:-local-only-[\w-]+|:\?[^}]+)\}/);
      }
  });

  it('pins every image by tag and declares the named volumes it uses', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.image, name).toMatch(/:[\w.-]+$/);
      expect(s.image, name).not.toMatch(/:latest$/);
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/'))
          expect(compose.volumes, name).toHaveProperty(source);
      }
    }
    expect(services.clickhouse?.image).toBe('clickhouse/clickhouse-server:25.8');
    expect(services.postgres?.image).toMatch(/^postgres:17/);
    expect(services.kafka?.image).toMatch(/^apache\/kafka:4\./);
  });

  it('offers Airflow and Superset as profiles, with the DAGs farebox exports', () => {
    expect(services.airflow?.profiles).toEqual(['airflow']);
    expect(services.airflow?.image).toMatch(/^apache\/airflow:3\./);
    expect(services.airflow?.command).toBe('standalone');
    const dags = services['airflow-dags']!;
    expect((dags.command as string[]).slice(0, 2)).toEqual(['orchestrate', 'export-airflow']);
    const volume = dags.volumes![0]!.split(':')[0];
    expect(services.airflow?.volumes?.some((v) => v.startsWith(`${volume}:/opt/airflow/dags`))).toBe(true);
    expect(services.superset?.profiles).toEqual(['superset']);
  });

  it("imports farebox's dashboards into Superset at start: exported by a one-shot job into a shared volume", () => {
    const job = services['superset-bundle']!;
    const superset = services.superset!;
    expect(job.profiles).toEqual(['superset']);
    expect(job.image).toBe('farebox:local');
    const args = job.command as string[];
    expect(args.slice(0, 2)).toEqual(['dashboards', 'export-superset']);
    const zip = args[2]!;
    const [volume, jobMount] = job.volumes![0]!.split(':') as [string, string];
    expect(zip.startsWith(`${jobMount}/`)).toBe(true);
    expect(zip).toMatch(/\.zip$/);

    // Superset reaches the compose ClickHouse as farebox's user and database; no password in the URL.
    const url = new URL(args[args.indexOf('--clickhouse-url') + 1]!);
    const ch = services.clickhouse!.environment!;
    expect(names).toContain(url.hostname);
    expect(url.hostname).toBe('clickhouse');
    expect(url.port).toBe('8123');
    expect(url.username).toBe(ch.CLICKHOUSE_USER);
    expect(url.pathname).toBe(`/${String(ch.CLICKHOUSE_DB)}`);
    expect(url.password).toBe('');

    // Superset reads the same file from the same volume, after the job finished and ClickHouse is healthy.
    const supersetMount = superset.volumes?.find((v) => v.startsWith(`${volume}:`))?.split(':');
    expect(supersetMount?.[2]).toBe('ro');
    const importedZip = `${supersetMount?.[1]}${zip.slice(jobMount.length)}`;
    expect(superset.depends_on).toMatchObject({
      'superset-bundle': { condition: 'service_completed_successfully' },
      clickhouse: { condition: 'service_healthy' },
    });
    expect(superset.image).toMatch(/^apache\/superset:6\./);
    expect(superset.environment?.SUPERSET_FEATURE_ENABLE_TEMPLATE_PROCESSING).toBe('true');
    expect(superset.environment?.CLICKHOUSE_PASSWORD).toBe(ch.CLICKHOUSE_PASSWORD);

    // The start command, in order: driver, metadata DB, admin, roles, import, password, server.
    const [sh, c, script] = superset.command as string[];
    expect([sh, c]).toEqual(['sh', '-c']);
    const steps = [
      /uv pip install [^&]*clickhouse-connect==[\d.]+/,
      /superset db upgrade/,
      /superset fab create-admin --username admin/,
      /superset init/,
      new RegExp(`superset import-dashboards -p ${importedZip.replace(/[.]/g, '\\.')} -u admin`),
      /superset set-database-uri -d (\w+) --skip_create\s+-u "([^"]+)"/,
      /\/usr\/bin\/run-server\.sh$/,
    ];
    const at = steps.map((re) => script!.search(re));
    for (const [i, pos] of at.entries()) expect(pos, String(steps[i])).toBeGreaterThanOrEqual(0);
    expect([...at].sort((a, b) => a - b)).toEqual(at);

    // The password goes in after the import, under the database name and URI the bundle holds.
    const [, dbName, uri] = /superset set-database-uri -d (\w+) --skip_create\s+-u "([^"]+)"/.exec(script!)!;
    const exported = exportSupersetBundle({
      dashboardsDir: path.join(repo, 'dashboards'),
      warehouse: { kind: 'chdb', path: '/unused', database: 'farebox' },
      clickhouseUrl: url.href,
    }).summary.database;
    expect(dbName).toBe(exported.name);
    // `$${…}` is compose's escape: the shell in the container reads CLICKHOUSE_PASSWORD from the environment.
    expect(uri).toBe(exported.uri.replace('@', () => ':$${CLICKHOUSE_PASSWORD}@'));
    expect(exported.uri).not.toContain(String(ch.CLICKHOUSE_PASSWORD));
  });
});

describe('dclint on deploy/compose.yaml', () => {
  interface Report {
    messages: { rule: string; type: string; message: string; line: number }[];
  }
  /** dclint's JSON report of one file, with deploy/dclint.json's rules. */
  function dclint(file: string): Report['messages'] {
    const r = spawnSync(
      process.execPath,
      [
        path.join(repo, 'node_modules/dclint/bin/dclint.cjs'),
        file,
        '-c',
        path.join(repo, 'deploy/dclint.json'),
        '-f',
        'json',
        '--color',
        'false',
      ],
      { encoding: 'utf8' },
    );
    return (JSON.parse(r.stdout) as Report[]).flatMap((f) => f.messages);
  }

  it('finds nothing: valid against the Compose specification, ports quoted, no lint warnings', () => {
    expect(dclint(path.join(repo, 'deploy/compose.yaml'))).toEqual([]);
  });

  it('does find a compose file that breaks the specification', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'farebox-dclint-'));
    const file = path.join(dir, 'compose.yaml');
    fs.writeFileSync(
      file,
      'name: x\nservices:\n  gateway:\n    image: farebox:1\n    healthchek: { test: [CMD, "true"] }\n',
    );
    const messages = dclint(file);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(messages.map((m) => [m.rule, m.type])).toEqual([['invalid-schema', 'error']]);
    expect(messages[0]?.message).toContain('must NOT have additional properties');
  });
});
