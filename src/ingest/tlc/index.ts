export { readTlcFile, type TlcImport, type TlcRow } from './read.ts';
export { detectLayout, layouts, type Layout } from './layouts.ts';
export { nyLocalToInstant, deterministicUuidv7 } from './convert.ts';
