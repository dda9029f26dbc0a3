/**
 * `farebox serve <role...>`: parts of the platform as processes of their own, for real engines (Kafka, S3,
 * a ClickHouse server, the registry service). `farebox up` runs them all in one process instead.
 *
 * - gateway    HTTP ingest (POST /v1/events/{type}) on FAREBOX_PORT
 * - registry   the Confluent-compatible schema registry on FAREBOX_REGISTRY_PORT, state in the log's _schemas
 * - sink       consume → pre-load (worker threads) → insert → commit; run several: they share the partitions
 * - preload    the same process as sink: pre-load's output is the sink's input and is committed with it
 * - simulator  the fleet simulator, producing to the log
 * - dashboards the dashboards API (sign-in, SQL, dashboards) on FAREBOX_DASHBOARDS_PORT; users in the ops DB
 */
import { randomBytes } from 'node:crypto';
import type { ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Role } from './roles.ts';
import type { Config } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import { createDashboardsApi, dashboardsApiConfig } from '../dashboards/index.ts';
import { createGateway, createProducer } from '../ingest/index.ts';
import { openOpsDb } from '../opsdb/index.ts';
import { createPreload } from '../preload/index.ts';
import { createRegistryService } from '../registry/index.ts';
import { createSimulator, loadZones } from '../simulate/index.ts';
import { createSink } from '../warehouse/index.ts';
import { openEngines, type Engines } from './engines.ts';
import { startOrchestrator } from './orchestrator.ts';
import { n } from './format.ts';
import { createRoleMetrics, type RoleMetrics } from './metrics.ts';
import { createLogger, startOpsServer, type Level } from './ops-server.ts';
import { listen } from './server.ts';

interface Running {
  /** Resolves when the role has stopped (after the signal aborted). */
  done: Promise<void>;
  describe: string;
}

/** The process's log (text or JSON lines, FAREBOX_LOG_FORMAT), set when serve() starts. */
let say: (line: string, level?: Level) => void = createLogger('text', 'farebox');

async function closeServer(server: ServerType): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function gateway(
  config: Config,
  engines: Engines,
  signal: AbortSignal,
  metrics: RoleMetrics,
): Promise<Running> {
  const tokens =
    config.ingest.tokens.length > 0 ? config.ingest.tokens : [randomBytes(18).toString('base64url')];
  const producer = metrics.countingProducer(
    createProducer({ claimCheckBytes: config.ingest.claimCheckBytes }, engines),
  );
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true, role: 'gateway' }));
  app.route('/', createGateway({ tokens, maxBodyBytes: config.ingest.maxBodyBytes }, { producer }));
  return listen(app, config.ingest.host, config.ingest.port).then(({ server, url }) => {
    if (config.ingest.tokens.length === 0)
      say(`gateway: generated token ${tokens[0] ?? ''} (set FAREBOX_TOKENS to choose)`);
    const done = new Promise<void>((resolve) =>
      signal.addEventListener(
        'abort',
        () =>
          void closeServer(server)
            .then(() => producer.close())
            .then(resolve),
        {
          once: true,
        },
      ),
    );
    return { done, describe: `gateway on ${url}/v1/events/{type}` };
  });
}

async function registry(config: Config, engines: Engines, signal: AbortSignal): Promise<Running> {
  const service = await createRegistryService({ log: engines.log });
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true, role: 'registry' }));
  app.route('/', service.app);
  const { server, url } = await listen(app, config.ingest.host, config.registryPort);
  const done = new Promise<void>((resolve) =>
    signal.addEventListener(
      'abort',
      () =>
        void closeServer(server)
          .then(() => service.close())
          .then(resolve),
      {
        once: true,
      },
    ),
  );
  return { done, describe: `schema registry on ${url} (state in the log's _schemas topic)` };
}

async function sink(
  config: Config,
  engines: Engines,
  signal: AbortSignal,
  metrics: RoleMetrics,
): Promise<Running> {
  const warehouse = engines.warehouse;
  if (warehouse === undefined) throw new FareboxError('internal', 'the sink needs the warehouse');
  const preload = createPreload(config.preload, engines);
  metrics.watchLag(engines.log, config.sink.group);
  let last = 0;
  const s = await createSink(config.sink, {
    log: engines.log,
    warehouse,
    preload,
    onBatch: (stats) => {
      metrics.sinkBatch(stats);
      if (Date.now() - last < 10_000) return;
      last = Date.now();
      const loaded = Object.values(stats.loaded).reduce((a, b) => a + b, 0);
      const dead = Object.values(stats.deadLettered).reduce((a, b) => a + b, 0);
      say(
        `sink: ${n(stats.consumed)} consumed · ${n(loaded)} loaded · ${n(dead)} dead-lettered · ${stats.batches} batches`,
      );
    },
    onRetry: (what, attempt, error) => {
      if (attempt === 1 || attempt % 10 === 0)
        say(`sink: ${what} failed (${error.message}); retrying`, 'warn');
    },
  });
  const done = s
    .run(signal)
    .then(() => {
      const st = s.stats();
      say(
        `sink stopped: ${st.consumed} consumed in ${st.batches} batches` +
          (st.fenced > 0 ? ` (${st.fenced} left to other members after rebalances)` : ''),
      );
    })
    .finally(() => preload.close());
  return {
    done,
    describe: `sink in group ${config.sink.group} → ${warehouse.kind} warehouse (${warehouse.dialect.name} SQL, ClickHouse ${warehouse.dialect.version})`,
  };
}

async function simulator(config: Config, engines: Engines, signal: AbortSignal): Promise<Running> {
  const producer = createProducer({ claimCheckBytes: config.ingest.claimCheckBytes }, engines);
  const sim = createSimulator(config.simulator, {
    zones: await loadZones(config.zonesFile),
    startMs: Date.now(),
  });
  let failed = 0;
  const timer = setInterval(() => {
    for (const e of sim.tick(Date.now()))
      producer.sendUntyped(e.type, e.payload).catch(() => {
        failed++;
        if (failed % 100 === 1) say(`simulator: ${failed} events could not be produced`);
      });
  }, 100);
  const done = new Promise<void>((resolve) =>
    signal.addEventListener(
      'abort',
      () => {
        clearInterval(timer);
        void producer.close().then(resolve);
      },
      { once: true },
    ),
  );
  return { done, describe: `simulator: ${config.simulator.vehicles} vehicles` };
}

async function scheduler(
  config: Config,
  engines: Engines,
  signal: AbortSignal,
  metrics: RoleMetrics,
): Promise<Running> {
  const warehouse = engines.warehouse;
  if (warehouse === undefined) throw new FareboxError('internal', 'the scheduler needs the warehouse');
  const o = await startOrchestrator(config, {
    warehouse,
    log: engines.log,
    objects: engines.objects,
    signal,
    say,
    onJobEnd: (pipeline, job, outcome, ms) => metrics.jobRun(pipeline, job, outcome, ms),
  });
  return {
    done: o.done.finally(() => o.close()),
    describe: `scheduler of ${o.pipelines.map((p) => p.name).join(', ')} (history in ${config.opsDb.kind})`,
  };
}

async function dashboards(config: Config, engines: Engines, signal: AbortSignal): Promise<Running> {
  const warehouse = engines.warehouse;
  if (warehouse === undefined) throw new FareboxError('internal', 'the dashboards API needs the warehouse');
  const opsDb = await openOpsDb(config.opsDb);
  const api = await createDashboardsApi(dashboardsApiConfig(config), { warehouse, opsDb, log: engines.log });
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true, role: 'dashboards' }));
  app.route('/', api);
  const { server, url } = await listen(app, config.ingest.host, config.dashboards.port);
  const done = new Promise<void>((resolve) =>
    signal.addEventListener(
      'abort',
      () =>
        void closeServer(server)
          .then(() => opsDb.close())
          .then(resolve),
      { once: true },
    ),
  );
  const open =
    config.dashboards.anonymousRole === undefined ? 'sign-in required' : 'ANONYMOUS VIEWERS ALLOWED';
  return { done, describe: `dashboards API on ${url}/api (${open}; users in ${config.opsDb.kind})` };
}

const starters: Record<Role, (c: Config, e: Engines, s: AbortSignal, m: RoleMetrics) => Promise<Running>> = {
  gateway,
  registry,
  sink,
  preload: sink,
  simulator,
  scheduler,
  dashboards,
};

export async function serve(config: Config, wanted: Role[]): Promise<void> {
  const unique = [...new Set(wanted.map((r) => (r === 'preload' ? 'sink' : r)))];
  say = createLogger(config.ops.logFormat, unique.join('+'));
  const metrics = createRoleMetrics(unique.join('+'));
  // Up first, so that the platform sees the process live (and not yet ready) while engines open.
  const ops = await startOpsServer({ ...config.ops, host: config.ingest.host }, { metrics, roles: unique });
  say(`ops: ${ops.url}/livez /readyz /metrics`);
  const needsWarehouse = unique.some((r) => r === 'sink' || r === 'scheduler' || r === 'dashboards');
  const onlyRegistry = unique.length === 1 && unique[0] === 'registry';
  const stop = new AbortController();
  const onSignal = (): void => {
    if (stop.signal.aborted) process.exit(130);
    ops.setReady(false);
    say(
      `stopping: finishing in-flight work (at most ${config.ops.shutdownMs / 1000} s; signal again to force)…`,
    );
    stop.abort();
    // Bounded: a role that cannot drain in time (a warehouse that hangs) must not hold the deploy up.
    setTimeout(() => {
      say(
        `did not stop within ${config.ops.shutdownMs / 1000} s: exiting; uncommitted records are redelivered`,
        'error',
      );
      process.exit(1);
    }, config.ops.shutdownMs).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let engines: Engines | undefined;
  try {
    engines = await openEngines(config, { warehouse: needsWarehouse, registry: !onlyRegistry });
    const running: Running[] = [];
    for (const role of unique) running.push(await starters[role](config, engines, stop.signal, metrics));
    for (const r of running) say(`serving ${r.describe}`);
    ops.setReady(!stop.signal.aborted);
    // One role failing stops the others, so the process exits (non-zero) instead of running half.
    await Promise.all(
      running.map((r) =>
        r.done.catch((e: unknown) => {
          ops.setReady(false);
          stop.abort();
          throw e;
        }),
      ),
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await engines?.close();
    await ops.close();
    say('stopped cleanly');
  }
}
