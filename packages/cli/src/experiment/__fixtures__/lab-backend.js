'use strict';
const { ContainerModule } = require('inversify');
const { RestoreBackend } = require('@restorelab/core');
const { SimBackend } = require('@restorelab/backend-sim');

/**
 * A plugin adding the backend `lab`: the simulator under another name, unavailable while
 * RESTORELAB_FIXTURE_LAB_UNAVAILABLE is set (its value is the reason), so a test can take a
 * backend away and give it back.
 */
const labBackendModule = new ContainerModule(({ bind }) => {
  bind(RestoreBackend)
    .toDynamicValue(() => {
      const sim = new SimBackend();
      return {
        name: 'lab',
        description: 'the simulator, as a backend a test can make unavailable',
        availability: async () => {
          const reason = process.env.RESTORELAB_FIXTURE_LAB_UNAVAILABLE;
          return reason ? { available: false, reason } : { available: true };
        },
        describe: () => sim.describe(),
        run: (session, options) => sim.run(session, options),
      };
    })
    .inSingletonScope();
});

module.exports = { labBackendModule };
