export * from './types';
export * from './outputs';
export * from './validate';
export * from './image';
export * from './workload';
export * from './api';
export * from './app-env';
export { platformConfig } from './platform';
export { AWS_REGIONS } from './regions';
