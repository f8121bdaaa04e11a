'use strict';
const { ContainerModule } = require('inversify');
const { StrategyContribution } = require('@restorelab/core');

const tinyModule = new ContainerModule(({ bind }) => {
  bind(StrategyContribution).toConstantValue({
    name: 'tiny',
    description: 'does nothing',
    params: {},
    deterministic: true,
    create: () => ({}),
  });
});

module.exports = { tinyModule, helper: 42 };
