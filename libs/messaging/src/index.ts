export * from './amqp-context';
export * from './amqp-server';
export * from './amqp-topology';
export * from './pass-through-rpc.filter';
export * from './rpc-client';
export * from './rpc-errors';
export * from './rpc-handler.decorator';
