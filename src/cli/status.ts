/** `farebox status`: per event type produced, loaded, dead-lettered and lag; from a running instance or the files. */
import type { Config } from '../config/index.ts';
import { FareboxError } from '../errors/index.ts';
import { collectStatus, type PipelineStatus } from '../warehouse/index.ts';
import { openEngines } from './engines.ts';
import { formatTable, n } from './format.ts';
import { callRunning, readRunInfo } from './run-file.ts';

export async function fetchStatus(config: Config): Promise<PipelineStatus> {
  const running = readRunInfo(config.home);
  if (running !== undefined) {
    const { status, json } = await callRunning<PipelineStatus & { error?: { message: string } }>(
      running,
      '/v1/status',
    );
    if (status !== 200)
      throw new FareboxError(
        'internal',
        `the running farebox answered ${status}: ${json.error?.message ?? ''}`,
      );
    return json;
  }
  const engines = await openEngines(config, { warehouse: true });
  try {
    return await collectStatus(
      engines.log,
      engines.warehouse as NonNullable<typeof engines.warehouse>,
      config.sink.group,
    );
  } finally {
    await engines.close();
  }
}

export async function statusCommand(config: Config, options: { json: boolean }): Promise<void> {
  const s = await fetchStatus(config);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ types: s.types, totals: s.totals }, null, 2)}\n`);
    return;
  }
  const rows = [...s.types, { type: 'total', ...s.totals }].map((t) => ({
    'event type': t.type,
    produced: n(t.produced),
    loaded: n(t.loaded),
    'dead-lettered': n(t.deadLettered),
    lag: n(t.lag),
  }));
  process.stdout.write(
    `${formatTable(['event type', 'produced', 'loaded', 'dead-lettered', 'lag'], rows)}\n`,
  );
}
