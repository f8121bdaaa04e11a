export * from './cost-model';
export * from './sim-backend';
export * from './sim-backend-module';
export { SimRun, MISMATCH_REPORT_LIMIT, PROGRESS_EVERY } from './sim-run';
