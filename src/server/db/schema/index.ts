export * from './auth';
export * from './access';
export * from './audit';
export * from './desktop';
export * from './realtime';
export * from './cmdb';
export * from './agents';
