'use strict';
module.exports = { default: require('../../tiny').tinyModule };
