/**
 * `farebox import FILE…`: TLC CSV/Parquet rows → trip_completed events through the same pipeline.
 * Rows that cannot be parsed are not dropped: they go to the log with an import-error header and are
 * dead-lettered by pre-load with their raw text and the reason.
 */
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Config } from '../config/index.ts';
import { contracts, importErrorHeader } from '../contracts/index.ts';
import { FareboxError } from '../errors/index.ts';
import { createProducer, type Producer } from '../ingest/index.ts';
import { readTlcFile } from '../ingest/tlc/index.ts';
import { createPreload } from '../preload/index.ts';
import { collectStatus, createSink } from '../warehouse/index.ts';
import { openEngines, type Engines } from './engines.ts';
import { n } from './format.ts';
import { callRunning, readRunInfo, type RunInfo } from './run-file.ts';

const chunk = 5000;

interface Sender {
  events(events: Record<string, unknown>[], version: number): Promise<void>;
  failed(raw: string, reason: string, where: string): Promise<void>;
}

function localSender(engines: Engines, producer: Producer): Sender {
  const topic = contracts.trip_completed.topic;
  return {
    async events(events, version) {
      await producer.sendMany('trip_completed', events, version);
    },
    async failed(raw, reason, where) {
      await engines.log.produce(topic, [
        { key: null, value: Buffer.from(raw), headers: { [importErrorHeader]: `${where}: ${reason}` } },
      ]);
    },
  };
}

function remoteSender(info: RunInfo): Sender {
  return {
    async events(events, version) {
      const res = await fetch(`${info.url}/v1/events/trip_completed?version=${version}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/x-ndjson' },
        body: events.map((e) => JSON.stringify(e)).join('\n'),
      });
      if (res.status !== 202)
        throw new FareboxError(
          'internal',
          `the running farebox refused a batch: ${res.status} ${await res.text()}`,
        );
    },
    failed(_raw, reason, where) {
      process.stderr.write(`skipped unparseable row ${where}: ${reason}\n`);
      return Promise.resolve();
    },
  };
}

async function importFile(
  file: string,
  sender: Sender,
  bars: cliProgress.MultiBar,
): Promise<{ rows: number; errors: number }> {
  const tlc = await readTlcFile(file);
  const bar = bars.create(tlc.progress.total, 0, {
    name: path.basename(file).slice(0, 34).padEnd(34),
    unit: tlc.progress.unit,
  });
  let batch: Record<string, unknown>[] = [];
  let rows = 0;
  let errors = 0;
  for await (const row of tlc.rows()) {
    if ('event' in row) batch.push(row.event);
    else {
      errors++;
      await sender.failed(row.raw, row.error, `${path.basename(file)} line ${row.line}`);
    }
    rows++;
    if (batch.length >= chunk) {
      await sender.events(batch, tlc.layout.contractVersion);
      batch = [];
      bar.update(tlc.progress.done());
    }
  }
  await sender.events(batch, tlc.layout.contractVersion);
  bar.update(tlc.progress.total);
  return { rows, errors };
}

export async function importCommand(
  config: Config,
  files: string[],
  options: { load: boolean },
): Promise<void> {
  const bars = new cliProgress.MultiBar(
    {
      format: ' {name} {bar} {percentage}% | {value}/{total} {unit} | {eta_formatted} left',
      hideCursor: true,
      clearOnComplete: false,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const running = readRunInfo(config.home);
  const engines = running === undefined ? await openEngines(config, { warehouse: options.load }) : undefined;
  const producer =
    engines === undefined
      ? undefined
      : createProducer({ claimCheckBytes: config.ingest.claimCheckBytes }, engines);
  const sender =
    running !== undefined ? remoteSender(running) : localSender(engines as Engines, producer as Producer);
  let stopped = false;
  const stopBars = (): void => {
    if (!stopped) bars.stop();
    stopped = true;
  };
  try {
    let total = 0;
    let errors = 0;
    for (const file of files) {
      const r = await importFile(file, sender, bars);
      total += r.rows;
      errors += r.errors;
    }
    await producer?.flush();
    bars.stop();
    process.stderr.write(
      `imported ${n(total)} rows from ${files.length} file${files.length === 1 ? '' : 's'}${errors > 0 ? ` (${n(errors)} unparseable, sent to dead letters)` : ''}\n`,
    );
    if (running !== undefined) {
      process.stderr.write(
        `the running farebox (pid ${running.pid}) loads them; watch with \`npx farebox status\`\n`,
      );
      await callRunning(running, '/v1/status');
    } else if (options.load && engines !== undefined) await loadUntilCaughtUp(config, engines);
  } finally {
    stopBars();
    await engines?.close();
  }
}

/** Runs the sink until the trip topic has no lag, with a progress bar. */
async function loadUntilCaughtUp(config: Config, engines: Engines): Promise<void> {
  const warehouse = engines.warehouse;
  if (warehouse === undefined) return;
  const preload = createPreload(config.preload, { registry: engines.registry, objects: engines.objects });
  const stop = new AbortController();
  const bar = new cliProgress.SingleBar(
    {
      format: ' load into the warehouse {bar} {percentage}% | {value}/{total} events',
      noTTYOutput: true,
      notTTYSchedule: 5000,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const first = await collectStatus(engines.log, warehouse, config.sink.group);
  bar.start(first.totals.lag, 0);
  const sink = await createSink(config.sink, {
    log: engines.log,
    warehouse,
    preload,
    onBatch: (s) => bar.update(s.consumed),
  });
  const done = sink.run(stop.signal);
  for (;;) {
    const s = await collectStatus(engines.log, warehouse, config.sink.group);
    if (s.totals.lag === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  stop.abort();
  await done.finally(() => preload.close());
  bar.update(first.totals.lag);
  bar.stop();
  const s = await collectStatus(engines.log, warehouse, config.sink.group);
  const trips = s.types.find((t) => t.type === 'trip_completed');
  process.stderr.write(
    `trip_completed: ${n(trips?.produced ?? 0)} produced, ${n(trips?.loaded ?? 0)} loaded, ${n(trips?.deadLettered ?? 0)} dead-lettered\n`,
  );
}
