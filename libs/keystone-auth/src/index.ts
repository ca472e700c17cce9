export * from './token-validator';
