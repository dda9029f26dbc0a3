export {
  createProducer,
  type Producer,
  type ProducerConfig,
  type ProducerDeps,
  type ProducerPayload,
} from './producer.ts';
export { createSerializer, eventTypeHeader, type Serializer } from './serializer.ts';
export { createGateway, errorBody, parseEvents, requireToken, type GatewayConfig } from './gateway.ts';
