/**
 * `farebox serve <role...>`: parts of the platform as processes of their own, for real engines (Kafka, S3,
 * a ClickHouse server, the registry service). `farebox up` runs them all in one process instead.
 *
 * - gateway    HTTP ingest (POST /v1/events/{type}) on FAREBOX_PORT
 * - registry   the Confluent-compatible schema registry on FAREBOX_REGISTRY_PORT, state in the log's _schemas
 * - sink       consume → pre-load (worker threads) → insert → commit; run several: they share the partitions
 * - preload    the same process as sink: pre-load's output is the sink's input and is committed with it
 * - simulator  the fleet simulator, producing to the log
 */
import { randomBytes } from 'node:crypto';
import type { ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Role } from './roles.ts';
import type { Config } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import { createGateway, createProducer } from '../ingest/index.ts';
import { createPreload } from '../preload/index.ts';
import { createRegistryService } from '../registry/index.ts';
import { createSimulator, loadZones } from '../simulate/index.ts';
import { createSink } from '../warehouse/index.ts';
import { openEngines, type Engines } from './engines.ts';
import { startOrchestrator } from './orchestrator.ts';
import { n } from './format.ts';
import { listen } from './server.ts';

interface Running {
  /** Resolves when the role has stopped (after the signal aborted). */
  done: Promise<void>;
  describe: string;
}

const say = (line: string): void => {
  process.stderr.write(`${new Date().toISOString()} ${line}\n`);
};

async function closeServer(server: ServerType): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function gateway(config: Config, engines: Engines, signal: AbortSignal): Promise<Running> {
  const tokens =
    config.ingest.tokens.length > 0 ? config.ingest.tokens : [randomBytes(18).toString('base64url')];
  const producer = createProducer({ claimCheckBytes: config.ingest.claimCheckBytes }, engines);
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

async function sink(config: Config, engines: Engines, signal: AbortSignal): Promise<Running> {
  const warehouse = engines.warehouse;
  if (warehouse === undefined) throw new FareboxError('internal', 'the sink needs the warehouse');
  const preload = createPreload(config.preload, engines);
  let last = 0;
  const s = await createSink(config.sink, {
    log: engines.log,
    warehouse,
    preload,
    onBatch: (stats) => {
      if (Date.now() - last < 10_000) return;
      last = Date.now();
      const loaded = Object.values(stats.loaded).reduce((a, b) => a + b, 0);
      const dead = Object.values(stats.deadLettered).reduce((a, b) => a + b, 0);
      say(
        `sink: ${n(stats.consumed)} consumed · ${n(loaded)} loaded · ${n(dead)} dead-lettered · ${stats.batches} batches`,
      );
    },
    onRetry: (what, attempt, error) => {
      if (attempt === 1 || attempt % 10 === 0) say(`sink: ${what} failed (${error.message}); retrying`);
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

async function scheduler(config: Config, engines: Engines, signal: AbortSignal): Promise<Running> {
  const warehouse = engines.warehouse;
  if (warehouse === undefined) throw new FareboxError('internal', 'the scheduler needs the warehouse');
  const o = await startOrchestrator(config, {
    warehouse,
    log: engines.log,
    objects: engines.objects,
    signal,
    say,
  });
  return {
    done: o.done.finally(() => o.close()),
    describe: `scheduler of ${o.pipelines.map((p) => p.name).join(', ')} (history in ${config.opsDb.kind})`,
  };
}

const starters: Record<Role, (c: Config, e: Engines, s: AbortSignal) => Promise<Running>> = {
  gateway,
  registry,
  sink,
  preload: sink,
  simulator,
  scheduler,
};

export async function serve(config: Config, wanted: Role[]): Promise<void> {
  const unique = [...new Set(wanted.map((r) => (r === 'preload' ? 'sink' : r)))];
  const needsWarehouse = unique.includes('sink') || unique.includes('scheduler');
  const onlyRegistry = unique.length === 1 && unique[0] === 'registry';
  const engines = await openEngines(config, { warehouse: needsWarehouse, registry: !onlyRegistry });
  const stop = new AbortController();
  const onSignal = (): void => {
    if (stop.signal.aborted) process.exit(130);
    say('stopping: finishing in-flight work (signal again to force)…');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const running: Running[] = [];
    for (const role of unique) running.push(await starters[role](config, engines, stop.signal));
    for (const r of running) say(`serving ${r.describe}`);
    // One role failing stops the others, so the process exits (non-zero) instead of running half.
    await Promise.all(
      running.map((r) =>
        r.done.catch((e: unknown) => {
          stop.abort();
          throw e;
        }),
      ),
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await engines.close();
    say('stopped cleanly');
  }
}
