export { createSimulator, type SimEvent, type Simulator } from './simulator.ts';
export { loadZones, miles, type Zone } from './zones.ts';
export { demand } from './fares.ts';
