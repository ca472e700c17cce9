/** Injection tokens shared by every service. */
export const LOGGER = Symbol('LOGGER');
export const CONFIG = Symbol('CONFIG');
export const RPC_CLIENT = Symbol('RPC_CLIENT');
export const SERVICE_IDENTITY = Symbol('SERVICE_IDENTITY');
export const OUTBOX = Symbol('OUTBOX');
