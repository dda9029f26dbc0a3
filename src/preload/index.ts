export { createPreload, type Preload, type PreloadDeps } from './preload.ts';
export { encodeObjects, rowColumns, rowObject } from './rows.ts';
export type { DeadLetter, EncodedRows, PreloadedBatch, Routed, Row, Source, Stage } from './types.ts';
export { cleanTrip } from './clean/trips.ts';
