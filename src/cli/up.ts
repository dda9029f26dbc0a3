/** `farebox up`: the whole platform in one process: simulator → gateway/producer → log → pre-load → sink. */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/index.ts';
import { eventTypes, type EventType } from '../contracts/index.ts';
import { createDashboardsApi, dashboardsApiConfig, ensureFirstAdmin } from '../dashboards/index.ts';
import { createProducer } from '../ingest/index.ts';
import { createPreload } from '../preload/index.ts';
import { createSimulator, loadZones } from '../simulate/index.ts';
import { collectStatus, createSink } from '../warehouse/index.ts';
import { openEngines } from './engines.ts';
import { startOrchestrator, type Orchestrator } from './orchestrator.ts';
import { syncsOf } from './project.ts';
import { n } from './format.ts';
import { removeRunInfo, writeRunInfo } from './run-file.ts';
import { createApp, listen } from './server.ts';

export interface UpOptions {
  /** Stop after this many milliseconds (tests, demos); runs until Ctrl-C when undefined. */
  durationMs?: number;
  simulate: boolean;
  /** Run the pipelines of FAREBOX_PIPELINES on their schedules. */
  schedule: boolean;
}

function statusLine(parts: {
  inRate: number;
  loadedRate: number;
  dead: number;
  lag: number;
  totals: Record<EventType, number>;
}): string {
  const labels: Record<EventType, string> = {
    trip_completed: 'trips',
    vehicle_location: 'pings',
    driver_document: 'documents',
  };
  const kinds = eventTypes.map((t) => `${labels[t]} ${n(parts.totals[t])}`).join(' · ');
  return `in ${n(Math.round(parts.inRate))}/s · loaded ${n(Math.round(parts.loadedRate))}/s · dead-lettered ${n(parts.dead)} · lag ${n(parts.lag)} │ ${kinds}`;
}

export async function up(config: Config, options: UpOptions): Promise<void> {
  const out = process.stderr;
  const engines = await openEngines(config, { warehouse: true });
  const warehouse = engines.warehouse;
  if (warehouse === undefined) throw new Error('unreachable: warehouse requested');
  const tokens =
    config.ingest.tokens.length > 0 ? config.ingest.tokens : [randomBytes(18).toString('base64url')];
  const producer = createProducer({ claimCheckBytes: config.ingest.claimCheckBytes }, engines);
  const preload = createPreload(config.preload, { registry: engines.registry, objects: engines.objects });
  const sink = await createSink(config.sink, { log: engines.log, warehouse, preload });
  let produced = 0;
  let produceErrors = 0;
  const stop = new AbortController();
  // Scheduler lines go above the status line, which the next refresh redraws.
  const say = (line: string): void => void out.write(out.isTTY ? `\r\x1b[2K${line}\n` : `${line}\n`);
  const orchestrator: Orchestrator | undefined = options.schedule
    ? await startOrchestrator(config, {
        warehouse,
        log: engines.log,
        objects: engines.objects,
        signal: stop.signal,
        say,
      })
    : undefined;
  const app = createApp({
    engines,
    producer,
    tokens,
    live: () => ({ produced, produceErrors, sink: sink.stats() }),
    ...(orchestrator === undefined ? {} : { orchestrator }),
    // The dashboards API under /api, on the orchestrator's connection (PGlite is opened by one holder).
    ...(orchestrator === undefined
      ? {}
      : {
          dashboards: await createDashboardsApi(dashboardsApiConfig(config), {
            warehouse,
            opsDb: orchestrator.opsDb,
            log: engines.log,
          }),
        }),
  });
  const admin =
    orchestrator === undefined ? undefined : await ensureFirstAdmin(config.home, orchestrator.opsDb);
  const { server, url } = await listen(app, config.ingest.host, config.ingest.port);
  writeRunInfo(config.home, { pid: process.pid, url, token: tokens[0] as string });

  out.write(
    `farebox is up on embedded engines (${config.log.kind} log, ${config.warehouse.kind} warehouse)\n`,
  );
  if (orchestrator === undefined) out.write(`  status page   ${url}/#token=${tokens[0] ?? ''}\n`);
  else
    out.write(
      `  dashboards    ${url}/   ${
        config.dashboards.anonymousRole !== undefined
          ? 'open to anyone as a viewer (FAREBOX_DASHBOARDS_ANONYMOUS)'
          : admin?.password !== undefined
            ? `sign in as admin, password ${admin.password} (kept in ${admin.file})`
            : admin !== undefined
              ? `sign in as admin (password in ${admin.file})`
              : 'sign in with your dashboards account'
      }\n`,
    );
  out.write(`  ingest        POST ${url}/v1/events/{trip_completed|vehicle_location|driver_document}\n`);
  if (config.ingest.tokens.length === 0)
    out.write(`  token         ${tokens[0] ?? ''}   (generated; set FAREBOX_TOKENS to choose)\n`);
  if (orchestrator !== undefined) {
    out.write(
      `  scheduler     ${orchestrator.pipelines.map((p) => p.name).join(', ')} (${config.orchestrate.pipelinesDir}); history: npx farebox orchestrate runs\n`,
    );
    const syncs = syncsOf(config);
    if (syncs.length > 0)
      out.write(
        `  syncs         ${syncs.map((s) => (s.disabled === undefined ? s.name : `${s.name} (off: ${s.disabled})`)).join(', ')}; npx farebox sync list\n`,
      );
  }
  out.write(`  query         npx farebox query "SELECT count() FROM trips"\n  stop          Ctrl-C\n\n`);

  const onSignal = (): void => {
    if (stop.signal.aborted) process.exit(130);
    out.write('\nstopping: flushing the sink and committing offsets (Ctrl-C again to force)…\n');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (options.durationMs !== undefined) setTimeout(() => stop.abort(), options.durationMs).unref();

  const sinkDone = sink.run(stop.signal);
  let simTimer: NodeJS.Timeout | undefined;
  if (options.simulate && config.simulator.vehicles > 0) {
    // The fleet runs on the wall clock, so a restart continues the day instead of replaying the same events.
    const sim = createSimulator(config.simulator, {
      zones: await loadZones(config.zonesFile),
      startMs: Date.now(),
    });
    simTimer = setInterval(() => {
      for (const e of sim.tick(Date.now())) {
        producer.sendUntyped(e.type, e.payload).then(
          () => produced++,
          () => produceErrors++,
        );
      }
    }, 100);
  }

  let last = { at: Date.now(), produced: 0, consumed: 0 };
  const tty = out.isTTY;
  const statusTimer = setInterval(
    () => {
      void (async () => {
        const s = sink.stats();
        const st = await collectStatus(engines.log, warehouse, config.sink.group).catch(() => undefined);
        const now = Date.now();
        const secs = Math.max(0.001, (now - last.at) / 1000);
        const line = statusLine({
          inRate: (produced - last.produced) / secs,
          loadedRate: (s.consumed - last.consumed) / secs,
          dead: st?.totals.deadLettered ?? 0,
          lag: st?.totals.lag ?? 0,
          totals: Object.fromEntries(
            eventTypes.map((t) => [t, st?.types.find((x) => x.type === t)?.loaded ?? 0]),
          ) as Record<EventType, number>,
        });
        last = { at: now, produced, consumed: s.consumed };
        out.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
      })();
    },
    tty ? 1000 : 10_000,
  );

  try {
    await new Promise<void>((resolve) =>
      stop.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    if (simTimer !== undefined) clearInterval(simTimer);
    await producer.flush();
    await sinkDone;
    await orchestrator?.done;
  } finally {
    await orchestrator?.close();
    await preload.close();
    clearInterval(statusTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    removeRunInfo(config.home);
    const st = await collectStatus(engines.log, warehouse, config.sink.group).catch(() => undefined);
    await engines.close();
    if (st !== undefined)
      out.write(
        `\nstopped cleanly: ${n(st.totals.produced)} produced, ${n(st.totals.loaded)} loaded, ${n(st.totals.deadLettered)} dead-lettered, lag ${n(st.totals.lag)}\n`,
      );
  }
}
