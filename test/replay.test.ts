/**
 * Dead-letter replay on embedded engines: a producer ran ahead of the registry (its schema id was not
 * registered yet), so its trip was dead-lettered at decode; once the schema is registered, the replay
 * loads it, once, and loaded + dead-lettered = produced still holds.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { openEngines } from '../src/cli/engines.ts';
import { contracts } from '../src/contracts/index.ts';
import { createPreload } from '../src/preload/index.ts';
import { encodeWireText } from '../src/registry/index.ts';
import { createSimulator, loadZones } from '../src/simulate/index.ts';
import { collectStatus, createSink, replayDeadLetters, type Warehouse } from '../src/warehouse/index.ts';
import { rows, scalar, tempHome, testConfig } from './helpers.ts';

const home = await tempHome('replay');
const config = testConfig(home);
const engines = await openEngines(config, { warehouse: true });
const warehouse = engines.warehouse as Warehouse;
const deps = { log: engines.log, warehouse };
afterAll(async () => {
  await engines.close();
  fs.rmSync(home, { recursive: true, force: true });
});

async function drain(): Promise<void> {
  const preload = createPreload(config.preload, { registry: engines.registry, objects: engines.objects });
  const sink = await createSink(config.sink, { log: engines.log, warehouse, preload });
  const stop = new AbortController();
  const done = sink.run(stop.signal);
  while ((await collectStatus(engines.log, warehouse, config.sink.group)).totals.lag > 0)
    await new Promise((r) => setTimeout(r, 100));
  stop.abort();
  await done;
  await preload.close();
}

describe('dead-letter replay', () => {
  it('loads a dead letter once its cause is fixed, once, with the accounting intact', async () => {
    const contract = contracts.trip_completed;
    const latest = contract.versions[contract.versions.length - 1];
    const ids = [...engines.schemaIds.values()].flat().map((v) => v.id);
    const nextId = Math.max(...ids) + 1;
    const sim = createSimulator(
      { ...config.simulator, badShare: 0, seed: 3 },
      { zones: await loadZones(config.zonesFile) },
    );
    const [trip] = [...sim.trips(1)].map((e) => e.payload as { event_id: string });
    await engines.log.produce(contract.topic, [
      { key: Buffer.from('veh-1'), value: encodeWireText(nextId, JSON.stringify(trip)) },
    ]);
    await drain();
    const [dead] = await rows<{ stage: string; reason: string }>(
      warehouse,
      'SELECT stage, reason FROM dead_letters FINAL',
    );
    expect(dead).toEqual({ stage: 'decode', reason: `schema id ${nextId} is not in the schema registry` });
    expect(await replayDeadLetters(deps, { stage: 'decode', dryRun: true })).toEqual({ replayed: 1 });

    // The fix: the producer's schema is registered (a new version, with one more description).
    const schema = JSON.parse(latest?.schemaText ?? '{}') as { description?: string };
    const registered = await engines.registry.register(
      contract.subject,
      JSON.stringify({ ...schema, description: `${schema.description ?? ''} (v-next)` }),
      'JSON',
    );
    expect(registered.id).toBe(nextId);

    expect(await replayDeadLetters(deps, { stage: 'validate' })).toEqual({ replayed: 0 });
    expect(await replayDeadLetters(deps, { stage: 'decode' })).toEqual({ replayed: 1 });
    expect(await replayDeadLetters(deps, { stage: 'decode' })).toEqual({ replayed: 0 });
    await drain();
    expect(
      await scalar(warehouse, `SELECT count() FROM trips WHERE event_id = '${trip?.event_id ?? ''}'`),
    ).toBe(1);
    const status = await collectStatus(engines.log, warehouse, config.sink.group);
    const trips = status.types.find((t) => t.type === 'trip_completed');
    expect(trips).toMatchObject({ produced: 2, loaded: 1, deadLettered: 1, lag: 0 });
  });

  it('leaves a replay that failed again, unless asked to replay it again', async () => {
    const contract = contracts.vehicle_location;
    await engines.log.produce(contract.topic, [
      { key: Buffer.from('veh-2'), value: encodeWireText(4242, '{}') },
    ]);
    await drain();
    expect(await replayDeadLetters(deps, { eventType: 'vehicle_location' })).toEqual({ replayed: 1 });
    await drain(); // still schema 4242: dead-lettered again, as a replay
    expect(await replayDeadLetters(deps, { eventType: 'vehicle_location' })).toEqual({ replayed: 0 });
    expect(
      await replayDeadLetters(deps, { eventType: 'vehicle_location', again: true, dryRun: true }),
    ).toEqual({
      replayed: 1,
    });
    const status = await collectStatus(engines.log, warehouse, config.sink.group);
    expect(status.types.find((t) => t.type === 'vehicle_location')).toMatchObject({
      produced: 2,
      deadLettered: 2,
    });
  });
});
