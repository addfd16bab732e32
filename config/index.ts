export * from './types';
export * from './outputs';
export * from './validate';
export * from './image';
export * from './architecture';
export * from './costs';
export { platformConfig } from './platform';
export { AWS_REGIONS } from './regions';
