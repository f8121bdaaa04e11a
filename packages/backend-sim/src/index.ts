export * from './cost-model';
export * from './sim-backend';
export * from './sim-backend-module';
export { SimRun, PROGRESS_EVERY } from './sim-run';
