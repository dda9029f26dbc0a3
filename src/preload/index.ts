export { createPreload, type Preload, type PreloadDeps } from './preload.ts';
export type { DeadLetter, Routed, Row, Source, Stage } from './types.ts';
export { cleanTrip } from './clean/trips.ts';
export { msToDateTime64, toDateTime64, toDecimal } from './convert.ts';
